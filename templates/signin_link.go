package templates

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// KindSignInLink is the one-time link that signs a customer's administrator in to
// the portal.
const KindSignInLink Kind = "signin-link"

// SignInLinkData is the model of the email with a one-time link that signs a
// customer's administrator in to the partnerlink portal.
type SignInLinkData struct {
	CustomerName   string    // optional; the organisation the admin signs in for
	RecipientEmail string    // required: who asked for the link
	Link           string    // required: absolute http(s) URL of the sign-in page
	ExpiresAt      time.Time // required: when the link stops working
}

// SignInLink renders the sign-in email for d in locale, failing like Invitation does.
func (s *Set) SignInLink(locale string, d SignInLinkData) (Message, error) {
	return s.Render(KindSignInLink, locale, d)
}

func prepareSignInLink(data any) (any, error) {
	var d SignInLinkData
	switch v := data.(type) {
	case SignInLinkData:
		d = v
	case *SignInLinkData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *SignInLinkData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: sign-in link wants templates.SignInLinkData, got %T", ErrInvalidData, data)
	}
	invalid := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: sign-in link: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.CustomerName = singleLine(d.CustomerName)
	d.RecipientEmail = singleLine(d.RecipientEmail)
	switch {
	case utf8.RuneCountInString(d.CustomerName) > maxNameLen:
		return invalid("customer name is longer than %d characters", maxNameLen)
	case !bareAddress(d.RecipientEmail):
		return invalid("recipient email %q is not an email address", d.RecipientEmail)
	case d.ExpiresAt.IsZero():
		return invalid("expiry is not set")
	}
	if err := checkLink(d.Link); err != nil {
		return invalid("%v", err)
	}
	return d, nil
}

// sampleSignInLink is a realistic sign-in email; the type is not used.
func sampleSignInLink(partnerships.RelationshipType) (any, error) {
	return SignInLinkData{
		CustomerName:   `Fabrikam <b>&"Quotes"</b> GmbH`,
		RecipientEmail: "admin@fabrikam.example",
		Link:           "https://partnerlink.example/signin/AQJrMQZzaWduLWluAAAAAGsGzNQAAAAAawbQWKTgqZfZb56KpGiy1RvD6Ackc2lnbmlu",
		ExpiresAt:      time.Date(2026, time.March, 2, 9, 45, 0, 0, time.UTC),
	}, nil
}
