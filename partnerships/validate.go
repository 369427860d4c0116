package partnerships

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxNameRunes    = 200
	maxEmailBytes   = 254
	maxDomainBytes  = 253
	maxMessageRunes = 2000
	maxReasonBytes  = 1000
	maxMessageID    = 998 // one header line
)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidInput, field, fmt.Sprintf(format, args...))
}

// cleanName trims s and checks it is 1..200 runes of valid UTF-8 without control characters.
func cleanName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", invalid(field, "must not be empty")
	case n > maxNameRunes:
		return "", invalid(field, "has %d characters, at most %d allowed", n, maxNameRunes)
	}
	if !utf8.ValidString(s) {
		return "", invalid(field, "is not valid UTF-8")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", invalid(field, "must not contain control characters")
	}
	return s, nil
}

// cleanOptionalName is cleanName that allows an empty value.
func cleanOptionalName(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return cleanName(field, s)
}

// cleanEmail checks s is one bare address (no display name) net/mail accepts and
// returns it lowercased.
func cleanEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid(field, "must not be empty")
	}
	if len(s) > maxEmailBytes {
		return "", invalid(field, "is longer than %d bytes", maxEmailBytes)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", invalid(field, "%q is not a plain email address", s)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return "", invalid(field, "%q is not a plain email address", s)
	}
	return strings.ToLower(s), nil
}

// cleanDomain checks an optional DNS domain name and returns it lowercased.
func cleanDomain(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if s == "" {
		return "", nil
	}
	if len(s) > maxDomainBytes {
		return "", invalid(field, "is longer than %d bytes", maxDomainBytes)
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", invalid(field, "%q is not a domain name", s)
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", invalid(field, "%q is not a domain name", s)
			}
		}
	}
	return s, nil
}

// cleanText checks free text: valid UTF-8, at most max runes, no control
// characters except newline, carriage return and tab.
func cleanText(field, s string, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", invalid(field, "has %d characters, at most %d allowed", n, max)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 {
		return "", invalid(field, "must not contain control characters")
	}
	return s, nil
}

// truncateUTF8 cuts s to at most max bytes on a rune boundary, replacing invalid
// UTF-8 and control characters first.
func truncateUTF8(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
