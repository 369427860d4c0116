package templates

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// BounceNoticeData is the model of a bounce notice: it tells a partner that an
// invitation it sent bounced, so the address does not take mail.
type BounceNoticeData struct {
	PartnerName    string // required: who is told
	CustomerName   string // optional; "the customer" when empty
	RecipientEmail string // required: the address that bounced
	Type           partnerships.RelationshipType
	Diagnostic     string    // optional: what the receiving mail server said, one line
	BouncedAt      time.Time // required: when the bounce was recorded
	InvitationID   string    // required
}

// Limits of a bounce notice's fields, in characters.
const (
	maxDiagnosticLen   = 1000
	maxInvitationIDLen = 100
)

// BounceNotice renders the bounce notice for d in locale, failing like
// Invitation does.
func (s *Set) BounceNotice(locale string, d BounceNoticeData) (Message, error) {
	return s.Render(KindBounceNotice, locale, d)
}

// prepareBounceNotice validates a BounceNoticeData and returns the normalised copy
// the templates see: every field single-line, without control characters.
func prepareBounceNotice(data any) (any, error) {
	var d BounceNoticeData
	switch v := data.(type) {
	case BounceNoticeData:
		d = v
	case *BounceNoticeData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *BounceNoticeData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: bounce notice wants templates.BounceNoticeData, got %T", ErrInvalidData, data)
	}
	invalid := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: bounce notice: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.PartnerName = singleLine(d.PartnerName)
	d.CustomerName = singleLine(d.CustomerName)
	d.RecipientEmail = singleLine(d.RecipientEmail)
	d.Diagnostic = singleLine(d.Diagnostic)
	d.InvitationID = singleLine(d.InvitationID)
	switch {
	case d.PartnerName == "":
		return invalid("partner name is empty")
	case utf8.RuneCountInString(d.PartnerName) > maxNameLen || utf8.RuneCountInString(d.CustomerName) > maxNameLen:
		return invalid("names are limited to %d characters", maxNameLen)
	case !bareAddress(d.RecipientEmail):
		return invalid("recipient email %q is not an email address", d.RecipientEmail)
	case !d.Type.Valid():
		return invalid("relationship type %q is not one of %v", d.Type, partnerships.Types())
	case utf8.RuneCountInString(d.Diagnostic) > maxDiagnosticLen:
		return invalid("diagnostic is longer than %d characters", maxDiagnosticLen)
	case d.BouncedAt.IsZero():
		return invalid("bounce time is not set")
	case d.InvitationID == "" || len(d.InvitationID) > maxInvitationIDLen:
		return invalid("invitation id %.40q is empty or too long", d.InvitationID)
	}
	return d, nil
}

// sampleBounceNotice is a realistic bounce notice for previews and golden files;
// the customer's name contains markup and quotes to show the escaping.
func sampleBounceNotice(t partnerships.RelationshipType) (any, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: relationship type %q is not one of %v", ErrInvalidData, t, partnerships.Types())
	}
	return BounceNoticeData{
		PartnerName:    "Contoso Ltd",
		CustomerName:   `Fabrikam <b>&"Quotes"</b> GmbH`,
		RecipientEmail: "admin@fabrikam.example",
		Type:           t,
		Diagnostic:     "550 5.1.1 <admin@fabrikam.example>: Recipient address rejected: User unknown in virtual mailbox table",
		BouncedAt:      time.Date(2026, time.March, 2, 9, 31, 4, 0, time.UTC),
		InvitationID:   "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb",
	}, nil
}
