package requests

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// The partner API's rules (web/api_invitations.go), for one request.
const (
	maxMessageRunes = 2000
	maxEmailBytes   = 254
	defaultLocale   = "en"
)

var locales = []string{"en", "de"}

// fields are one request's raw values with the line each came from.
type fields struct {
	values map[string]string // canonical key → value
	lines  map[string]int    // canonical key → line
}

// check validates one request's fields and returns it, or the errors, each with
// the line of the field it is about (start when the field is missing).
// roleSep separates roles (",": the body; ";": CSV; both are accepted).
func check(start int, f fields) (Request, []fieldError) {
	var errs []fieldError
	fail := func(key, format string, args ...any) {
		line := f.lines[key]
		if line == 0 {
			line = start
		}
		errs = append(errs, fieldError{line, fmt.Sprintf(format, args...)})
	}
	req := Request{Line: start}

	email := strings.TrimSpace(f.values["customer"])
	switch a, err := mail.ParseAddress(email); {
	case email == "":
		fail("customer", "customer is missing (write customer: admin@example.com)")
	case len(email) > maxEmailBytes || err != nil || a.Name != "" || a.Address != email ||
		strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		fail("customer", "customer %q is not a plain email address such as admin@contoso.com", clip(email))
	default:
		req.CustomerEmail = strings.ToLower(email)
	}

	typeName := normalizeName(f.values["type"])
	switch t := partnerships.RelationshipType(typeName); {
	case typeName == "":
		fail("type", "type is missing: one of %s", typeList())
	case !t.Valid():
		fail("type", "type %q is not one of %s", clip(f.values["type"]), typeList())
	default:
		req.Type = t
	}

	rolesBad := false
	if raw, ok := f.values["roles"]; ok && req.Type != "" {
		roles, err := parseRoles(req.Type, raw)
		if err != "" {
			fail("roles", "%s", err)
			rolesBad = true
		}
		req.Roles = roles
	}

	locale := strings.ToLower(strings.TrimSpace(f.values["locale"]))
	switch {
	case locale == "":
		req.Locale = defaultLocale
	case !slices.Contains(locales, locale):
		fail("locale", "locale %q is not one of %s", clip(f.values["locale"]), strings.Join(locales, ", "))
	default:
		req.Locale = locale
	}

	msg := strings.TrimSpace(f.values["message"])
	switch n := utf8.RuneCountInString(msg); {
	case !utf8.ValidString(msg):
		fail("message", "message is not valid text")
	case n > maxMessageRunes:
		fail("message", "message has %d characters, at most %d allowed", n, maxMessageRunes)
	case strings.IndexFunc(msg, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		fail("message", "message contains control characters")
	default:
		req.Message = msg
	}
	checkTimeBound(f, &req, rolesBad, fail)
	if len(errs) > 0 {
		return Request{}, errs
	}
	return req, nil
}

type fieldError struct {
	line int
	text string
}

// parseRoles reads a comma or semicolon list of roles. Empty or "all": nil (all
// the type grants); "none": none.
func parseRoles(t partnerships.RelationshipType, raw string) ([]partnerships.Role, string) {
	granted := t.Roles()
	switch v := normalizeName(raw); v {
	case "", "all":
		return nil, ""
	case "none", "-":
		return []partnerships.Role{}, ""
	}
	roles := []partnerships.Role{}
	for part := range strings.FieldsFuncSeq(raw, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		name := normalizeName(part)
		if name == "" {
			continue
		}
		r := partnerships.Role(name)
		if !slices.Contains(granted, r) {
			if len(granted) == 0 {
				return nil, fmt.Sprintf("type %s grants no roles, not %q (write roles: none, or leave roles out)", t, clip(part))
			}
			return nil, fmt.Sprintf("type %s does not grant role %q; it grants %s", t, clip(strings.TrimSpace(part)), roleList(granted))
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles, ""
}

// normalizeName lowercases s and joins its words with "_": "Delegated Admin" and
// "delegated-admin" are delegated_admin.
func normalizeName(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t'
	}), "_")
}

func typeList() string {
	names := make([]string, 0, 7)
	for _, t := range partnerships.Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

func roleList(roles []partnerships.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// clip shortens a value quoted in an error.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 80 {
		return string([]rune(s)[:79]) + "…"
	}
	return s
}
