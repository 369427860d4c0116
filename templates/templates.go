// Package templates renders partnerlink's emails from embedded templates: one
// directory per email kind, with a subject, a plain-text and an HTML file per
// locale (for example invitation/subject.en.txt, invitation/body.en.txt and
// invitation/body.en.html). Text parts use text/template, the HTML part uses
// html/template, so every value is escaped for its context. Templates are parsed
// once, in New, and see only their typed model and a few pure label and date
// functions: nothing reads the environment or files while rendering.
//
// Adding a kind means adding its directory and a model with a kindSpec entry
// (see kinds.go).
package templates

import "errors"

// Kind names an email kind; each kind is one directory of templates.
type Kind string

// The email kinds.
const (
	KindInvitation Kind = "invitation"
	// KindBounceNotice tells a partner that an invitation it sent bounced.
	KindBounceNotice Kind = "bounce-notice"
	// KindRequestReply answers a partner's request for invitations by email.
	KindRequestReply Kind = "request-reply"
	// KindReminder reminds a customer of an invitation not decided yet (sched).
	KindReminder Kind = "reminder"

	// KindNotification tells a partner or a customer's admins about a relationship event (directory).
	KindNotification Kind = "notification"
	// KindLead passes a customer's request from the find-a-partner directory to a partner (directory).
	KindLead Kind = "lead"
)

// DefaultLocale is the locale used for labels when a caller asks for one we do
// not have (TypeLabel, RoleLabel). Rendering never falls back: it fails with
// ErrUnknownLocale instead.
const DefaultLocale = "en"

// Errors callers branch on with errors.Is.
var (
	ErrUnknownKind   = errors.New("templates: unknown kind")
	ErrUnknownLocale = errors.New("templates: unknown locale")
	ErrInvalidData   = errors.New("templates: invalid data")
)

// Message is one rendered email: a single-line subject, a plain-text body and an
// HTML body.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

// Kinds lists every email kind in a stable order.
func Kinds() []Kind {
	specs := kindSpecs()
	kinds := make([]Kind, 0, len(specs))
	for _, s := range specs {
		kinds = append(kinds, s.kind)
	}
	return kinds
}

// Locales lists the locales every kind is available in, DefaultLocale first.
func Locales() []string {
	return []string{"en", "de"}
}
