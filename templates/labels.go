package templates

import (
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// labels are one locale's words for the domain: relationship types, roles and
// dates. One file per language (labels_en.go, labels_de.go) fills them in.
type labels struct {
	types map[partnerships.RelationshipType]typeText
	roles map[partnerships.Role]string
	date  func(time.Time) string
}

// typeText is how one locale talks about a relationship type.
type typeText struct {
	Label       string // a title: "Delegated administrator"
	Phrase      string // fits the subject line: "a delegated administrator relationship"
	Description string // one sentence: what accepting means for the customer
}

// allLabels returns every locale's labels, keyed by locale.
func allLabels() map[string]*labels {
	return map[string]*labels{"en": english(), "de": german()}
}

// funcs are the template functions of the locale: pure lookups, no I/O.
func (l *labels) funcs() map[string]any {
	return map[string]any{
		"typeLabel":       func(t partnerships.RelationshipType) string { return l.typeText(t).Label },
		"typePhrase":      func(t partnerships.RelationshipType) string { return l.typeText(t).Phrase },
		"typeDescription": func(t partnerships.RelationshipType) string { return l.typeText(t).Description },
		"roleLabel":       l.role,
		"date":            l.date,
		"quote":           quote,
	}
}

func (l *labels) typeText(t partnerships.RelationshipType) typeText {
	if tt, ok := l.types[t]; ok {
		return tt
	}
	return typeText{Label: string(t), Phrase: string(t), Description: string(t)}
}

func (l *labels) role(r partnerships.Role) string {
	if s, ok := l.roles[r]; ok {
		return s
	}
	return string(r)
}

// matchLocale maps a locale such as "de", "de-AT" or "DE_de" to one we have.
func matchLocale(locale string) (string, bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	base, _, _ = strings.Cut(base, "_")
	for _, l := range Locales() {
		if l == base {
			return l, true
		}
	}
	return "", false
}

func (s *Set) labelsFor(locale string) *labels {
	loc, ok := matchLocale(locale)
	if !ok {
		loc = DefaultLocale
	}
	return s.labels[loc]
}

// TypeLabel returns the name of relationship type t in locale (DefaultLocale if
// the locale is unknown; the raw value if the type is).
func (s *Set) TypeLabel(locale string, t partnerships.RelationshipType) string {
	return s.labelsFor(locale).typeText(t).Label
}

// TypeDescription returns the one-sentence meaning of relationship type t in
// locale, with the same fallbacks as TypeLabel.
func (s *Set) TypeDescription(locale string, t partnerships.RelationshipType) string {
	return s.labelsFor(locale).typeText(t).Description
}

// RoleLabel returns the name of role r in locale, with the same fallbacks as
// TypeLabel.
func (s *Set) RoleLabel(locale string, r partnerships.Role) string {
	return s.labelsFor(locale).role(r)
}

// FormatDate formats t the way emails in locale show dates (in UTC).
func (s *Set) FormatDate(locale string, t time.Time) string {
	return s.labelsFor(locale).date(t)
}
