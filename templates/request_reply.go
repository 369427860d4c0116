package templates

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// RequestReplyData is the model of the reply to a partner's request for
// invitations by email: what was created and what was refused.
type RequestReplyData struct {
	PartnerName     string            // required
	Created         []ReplyInvitation // the invitations created (or found again) for the request
	Errors          []string          // one line each, such as `line 7: type "boss" is not one of …`
	OriginalSubject string            // the request's subject; the reply's is "Re: " and it
}

// ReplyInvitation is one invitation the reply lists.
type ReplyInvitation struct {
	CustomerEmail string    `json:"customer_email"`
	Type          string    `json:"relationship_type"` // one of partnerships.Types()
	ID            string    `json:"id"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// RelationshipType is Type as a relationship type (for the templates' labels).
func (r ReplyInvitation) RelationshipType() partnerships.RelationshipType {
	return partnerships.RelationshipType(r.Type)
}

// Limits of a reply.
const (
	maxReplyItems     = 1000
	maxReplyErrorLen  = 500
	maxReplySubjectLn = 200
)

// RequestReply renders the reply to a request by email for d in locale.
func (s *Set) RequestReply(locale string, d RequestReplyData) (Message, error) {
	return s.Render(KindRequestReply, locale, d)
}

func prepareRequestReply(data any) (any, error) {
	var d RequestReplyData
	switch v := data.(type) {
	case RequestReplyData:
		d = v
	case *RequestReplyData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *RequestReplyData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: request-reply wants templates.RequestReplyData, got %T", ErrInvalidData, data)
	}
	invalid := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: request-reply: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.PartnerName = singleLine(d.PartnerName)
	d.OriginalSubject = truncateRunes(singleLine(d.OriginalSubject), maxReplySubjectLn)
	if d.PartnerName == "" {
		return invalid("partner name is empty")
	}
	if utf8.RuneCountInString(d.PartnerName) > maxNameLen {
		return invalid("partner name is longer than %d characters", maxNameLen)
	}
	if len(d.Created)+len(d.Errors) == 0 {
		return invalid("nothing created and no errors: nothing to reply")
	}
	if len(d.Created) > maxReplyItems || len(d.Errors) > maxReplyItems {
		return invalid("more than %d invitations or errors", maxReplyItems)
	}
	created := make([]ReplyInvitation, len(d.Created))
	for i, c := range d.Created {
		c.CustomerEmail = singleLine(c.CustomerEmail)
		c.ID = singleLine(c.ID)
		if !bareAddress(c.CustomerEmail) {
			return invalid("customer email %q is not an email address", c.CustomerEmail)
		}
		if !c.RelationshipType().Valid() {
			return invalid("relationship type %q is not one of %v", c.Type, partnerships.Types())
		}
		if c.ID == "" || c.ExpiresAt.IsZero() {
			return invalid("invitation for %s lacks its id or expiry", c.CustomerEmail)
		}
		created[i] = c
	}
	d.Created = created
	errs := make([]string, len(d.Errors))
	for i, e := range d.Errors {
		errs[i] = truncateRunes(singleLine(e), maxReplyErrorLen)
	}
	d.Errors = errs
	return d, nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// sampleRequestReply is a reply with one invitation of type t created and two
// lines refused.
func sampleRequestReply(t partnerships.RelationshipType) (any, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: relationship type %q is not one of %v", ErrInvalidData, t, partnerships.Types())
	}
	return RequestReplyData{
		PartnerName: "Contoso <b>&\"Partners\"</b> Ltd",
		Created: []ReplyInvitation{
			{CustomerEmail: "admin@fabrikam.example", Type: string(t), ID: "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb",
				ExpiresAt: time.Date(2026, time.March, 16, 17, 0, 0, 0, time.UTC)},
		},
		Errors: []string{
			`line 7: type "boss" is not one of [reseller delegated_admin reseller_delegated_admin partner advisor mpsa line_of_business]`,
			"invites.csv row 3: customer_email \"nobody\" is not a plain email address",
		},
		OriginalSubject: "Invite: Fabrikam <admins>",
	}, nil
}
