package templates

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// InvitationData is the model of an invitation email: a partner invites a
// customer to a relationship of one type.
type InvitationData struct {
	PartnerName    string // required
	PartnerEmail   string // optional; shown next to the partner's name
	CustomerName   string // optional; "your organisation" when empty
	RecipientEmail string // required: who the email goes to
	Type           partnerships.RelationshipType
	// Roles the partner asks for; each must be one that Type grants. Empty means
	// all roles Type grants (none for a reseller).
	Roles     []partnerships.Role
	Link      string    // the accept link: absolute http(s) URL, required
	ExpiresAt time.Time // when the link expires, required
	Message   string    // optional personal note from the partner
}

// Limits on free-text fields, in characters.
const (
	maxNameLen    = 200
	maxMessageLen = 4000
	maxLinkLen    = 2000
)

// Invitation renders the invitation email for d in locale. It fails with an error
// wrapping ErrUnknownLocale for a locale it has no templates for, and with one
// wrapping ErrInvalidData if d is incomplete or inconsistent.
func (s *Set) Invitation(locale string, d InvitationData) (Message, error) {
	return s.Render(KindInvitation, locale, d)
}

// prepareInvitation validates an InvitationData and returns the normalised copy
// the templates see: single-line fields stripped of CR, LF and other control
// characters, the note's line endings normalised, Roles filled in.
func prepareInvitation(data any) (any, error) {
	var d InvitationData
	switch v := data.(type) {
	case InvitationData:
		d = v
	case *InvitationData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *InvitationData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: invitation wants templates.InvitationData, got %T", ErrInvalidData, data)
	}
	return d.normalize()
}

func (d InvitationData) normalize() (InvitationData, error) {
	invalid := func(format string, args ...any) (InvitationData, error) {
		return InvitationData{}, fmt.Errorf("%w: invitation: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.PartnerName = singleLine(d.PartnerName)
	d.PartnerEmail = singleLine(d.PartnerEmail)
	d.CustomerName = singleLine(d.CustomerName)
	d.RecipientEmail = singleLine(d.RecipientEmail)
	d.Message = multiLine(d.Message)

	if d.PartnerName == "" {
		return invalid("partner name is empty")
	}
	if utf8.RuneCountInString(d.PartnerName) > maxNameLen || utf8.RuneCountInString(d.CustomerName) > maxNameLen {
		return invalid("names are limited to %d characters", maxNameLen)
	}
	if d.PartnerEmail != "" && !bareAddress(d.PartnerEmail) {
		return invalid("partner email %q is not an email address", d.PartnerEmail)
	}
	if !bareAddress(d.RecipientEmail) {
		return invalid("recipient email %q is not an email address", d.RecipientEmail)
	}
	if !d.Type.Valid() {
		return invalid("relationship type %q is not one of %v", d.Type, partnerships.Types())
	}
	granted := d.Type.Roles()
	if len(d.Roles) == 0 {
		d.Roles = granted
	} else {
		d.Roles = slices.Clone(d.Roles)
	}
	for _, r := range d.Roles {
		if !slices.Contains(granted, r) {
			return invalid("role %q is not granted by a %s relationship (it grants %v)", r, d.Type, granted)
		}
	}
	if err := checkLink(d.Link); err != nil {
		return invalid("%v", err)
	}
	if d.ExpiresAt.IsZero() {
		return invalid("expiry time is not set")
	}
	if utf8.RuneCountInString(d.Message) > maxMessageLen {
		return invalid("message is longer than %d characters", maxMessageLen)
	}
	return d, nil
}

// bareAddress reports whether s is a plain addr-spec such as a@example.com.
func bareAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// checkLink accepts an absolute http or https URL without spaces or control
// characters, so the text part can show it verbatim on a line of its own.
func checkLink(link string) error {
	if link == "" {
		return fmt.Errorf("link is empty")
	}
	if len(link) > maxLinkLen {
		return fmt.Errorf("link is longer than %d bytes", maxLinkLen)
	}
	if strings.IndexFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("link contains spaces or control characters")
	}
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("link is not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("link must be an absolute http(s) URL")
	}
	return nil
}

// sampleInvitation is a realistic invitation for previews and golden files; the
// customer's name contains markup and quotes to show the escaping.
func sampleInvitation(t partnerships.RelationshipType) (any, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: relationship type %q is not one of %v", ErrInvalidData, t, partnerships.Types())
	}
	return InvitationData{
		PartnerName:    "Contoso Ltd",
		PartnerEmail:   "partners@contoso.example",
		CustomerName:   `Fabrikam <b>&"Quotes"</b> GmbH`,
		RecipientEmail: "admin@fabrikam.example",
		Type:           t,
		Roles:          t.Roles(),
		Link:           "https://partnerlink.example/invite/AQJrMQZpbnZpdGUAAAAAawbM1AAAAABrGUHUpOCpl9lvnoqkaLLVG8PoByRpbl9zYW1wbGU",
		ExpiresAt:      time.Date(2026, time.March, 16, 17, 0, 0, 0, time.UTC),
		Message:        "Hello Fabrikam team,\n\nas agreed on the phone, this lets us take care of your licences.\nKind regards, Dana Smith",
	}, nil
}
