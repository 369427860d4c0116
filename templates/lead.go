package templates

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// LeadData is the model of a lead: a customer who found the partner in the
// find-a-partner directory asks it to get in touch. The email shows how to invite
// the customer through the API, with the lead's id.
type LeadData struct {
	PartnerName  string                        // required: who is told
	LeadID       string                        // required
	Name         string                        // required: the customer's contact
	Email        string                        // required: the contact's address
	Organisation string                        // required
	Message      string                        // required: what the customer needs, several lines
	CreatedAt    time.Time                     // required
	APIURL       string                        // required: the URL of POST /api/v1/invitations
	Type         partnerships.RelationshipType // required: the type the command asks for
}

// leadView is what the lead templates see.
type leadView struct {
	LeadData
	Curl string // a ready curl command line
}

// Lead renders the lead email for d in locale.
func (s *Set) Lead(locale string, d LeadData) (Message, error) {
	return s.Render(KindLead, locale, d)
}

func prepareLead(data any) (any, error) {
	var d LeadData
	switch v := data.(type) {
	case LeadData:
		d = v
	case *LeadData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *LeadData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: lead wants templates.LeadData, got %T", ErrInvalidData, data)
	}
	invalid := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: lead: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.PartnerName = singleLine(d.PartnerName)
	d.Name = singleLine(d.Name)
	d.Organisation = singleLine(d.Organisation)
	d.Email = singleLine(d.Email)
	d.LeadID = singleLine(d.LeadID)
	d.Message = strings.TrimSpace(strings.ReplaceAll(d.Message, "\r\n", "\n"))
	switch {
	case d.PartnerName == "" || d.Name == "" || d.Organisation == "":
		return invalid("partner name, contact name and organisation are required")
	case utf8.RuneCountInString(d.PartnerName) > maxNameLen || utf8.RuneCountInString(d.Name) > maxNameLen ||
		utf8.RuneCountInString(d.Organisation) > maxNameLen:
		return invalid("names are limited to %d characters", maxNameLen)
	case !bareAddress(d.Email):
		return invalid("email %q is not an email address", d.Email)
	case d.Message == "" || utf8.RuneCountInString(d.Message) > 2000:
		return invalid("message must have 1 to 2000 characters")
	case !partnerships.ValidLeadID(d.LeadID):
		return invalid("lead id %.40q is not a lead id", d.LeadID)
	case d.CreatedAt.IsZero():
		return invalid("the time is not set")
	case !d.Type.Valid():
		return invalid("relationship type %q is not one of %v", d.Type, partnerships.Types())
	case !strings.HasPrefix(d.APIURL, "http://") && !strings.HasPrefix(d.APIURL, "https://"):
		return invalid("API URL %.80q is not an http(s) URL", d.APIURL)
	}
	// Every value in the command is a checked id, an address without quotes or
	// spaces, or a fixed word, so single quotes enclose it safely.
	// One word per line after the first, so wrapping the text part never splits the
	// command; -d takes its value attached.
	curl := fmt.Sprintf("curl -X POST \\\n  -H \"Authorization: Bearer $PARTNERLINK_API_KEY\" \\\n  -H 'Content-Type: application/json' \\\n"+
		"  -d'{\"customer_email\":\"%s\",\"relationship_type\":\"%s\",\"locale\":\"en\",\"lead_id\":\"%s\"}'\\\n  '%s'",
		d.Email, d.Type, d.LeadID, d.APIURL)
	if strings.ContainsAny(d.Email, `'"\`) || strings.ContainsAny(d.APIURL, `'"\ `) {
		return invalid("email or API URL contains quotes")
	}
	return leadView{LeadData: d, Curl: curl}, nil
}

func sampleLead(t partnerships.RelationshipType) (any, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: relationship type %q is not one of %v", ErrInvalidData, t, partnerships.Types())
	}
	return LeadData{
		Type:         t,
		PartnerName:  "Contoso Ltd",
		LeadID:       "ld_aaaaaaaaaaaaaaaa",
		Name:         "Ann Lee",
		Email:        "ann@fabrikam.example",
		Organisation: `Fabrikam <b>&"Quotes"</b> GmbH`,
		Message:      "We are 40 people and move to the cloud this spring.\nWe need a reseller who also manages our tenant.",
		CreatedAt:    time.Date(2026, time.March, 2, 9, 31, 4, 0, time.UTC),
		APIURL:       "https://partnerlink.example/api/v1/invitations",
	}, nil
}
