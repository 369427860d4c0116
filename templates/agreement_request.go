package templates

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// KindAgreementRequest asks a customer's administrators to sign the customer
// agreement for a partner they already work with.
const KindAgreementRequest Kind = "agreement-request"

// AgreementRequestData is the model of the email that asks a customer's
// administrator to sign the customer agreement for a partner they already work with.
type AgreementRequestData struct {
	PartnerName      string                          // required
	PartnerEmail     string                          // required: the partner's contact address
	CustomerName     string                          // optional
	RecipientEmail   string                          // required: the administrator
	Types            []partnerships.RelationshipType // the relationship's types, at least one
	AgreementVersion string                          // required
	Link             string                          // required: absolute http(s) URL of the agreement page
	ExpiresAt        time.Time                       // required: when the link stops working
}

// AgreementRequest renders the agreement request for d in locale.
func (s *Set) AgreementRequest(locale string, d AgreementRequestData) (Message, error) {
	return s.Render(KindAgreementRequest, locale, d)
}

func prepareAgreementRequest(data any) (any, error) {
	var d AgreementRequestData
	switch v := data.(type) {
	case AgreementRequestData:
		d = v
	case *AgreementRequestData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *AgreementRequestData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: agreement request wants templates.AgreementRequestData, got %T", ErrInvalidData, data)
	}
	invalid := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: agreement request: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.PartnerName = singleLine(d.PartnerName)
	d.PartnerEmail = singleLine(d.PartnerEmail)
	d.CustomerName = singleLine(d.CustomerName)
	d.RecipientEmail = singleLine(d.RecipientEmail)
	d.AgreementVersion = singleLine(d.AgreementVersion)
	switch {
	case d.PartnerName == "":
		return invalid("partner name is empty")
	case utf8.RuneCountInString(d.PartnerName) > maxNameLen || utf8.RuneCountInString(d.CustomerName) > maxNameLen:
		return invalid("names are limited to %d characters", maxNameLen)
	case !bareAddress(d.PartnerEmail):
		return invalid("partner email %q is not an email address", d.PartnerEmail)
	case !bareAddress(d.RecipientEmail):
		return invalid("recipient email %q is not an email address", d.RecipientEmail)
	case len(d.Types) == 0:
		return invalid("no relationship type")
	case d.AgreementVersion == "" || len(d.AgreementVersion) > 64:
		return invalid("agreement version %.70q is empty or too long", d.AgreementVersion)
	case d.ExpiresAt.IsZero():
		return invalid("expiry is not set")
	}
	for _, t := range d.Types {
		if !t.Valid() {
			return invalid("relationship type %q is not one of %v", t, partnerships.Types())
		}
	}
	if err := checkLink(d.Link); err != nil {
		return invalid("%v", err)
	}
	return d, nil
}

// sampleAgreementRequest is a realistic request for relationship type t.
func sampleAgreementRequest(t partnerships.RelationshipType) (any, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: relationship type %q is not one of %v", ErrInvalidData, t, partnerships.Types())
	}
	return AgreementRequestData{
		PartnerName:      "Contoso Ltd",
		PartnerEmail:     "partners@contoso.example",
		CustomerName:     `Fabrikam <b>&"Quotes"</b> GmbH`,
		RecipientEmail:   "admin@fabrikam.example",
		Types:            []partnerships.RelationshipType{t},
		AgreementVersion: "2026-01",
		Link:             "https://partnerlink.example/agreement/AQJrMQlhZ3JlZW1lbnQAAAAAawbM1AAAAABrGUHUpOCpl9lvnoqkaLLVG8PoByRjdV9zYW1wbGU",
		ExpiresAt:        time.Date(2026, time.March, 16, 9, 30, 0, 0, time.UTC),
	}, nil
}
