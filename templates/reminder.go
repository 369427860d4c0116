package templates

import (
	"fmt"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// ReminderData is the model of a reminder: an invitation the customer has not
// decided yet, with the same link as the invitation and a one-click link that
// stops further reminders.
type ReminderData struct {
	PartnerName    string // required
	PartnerEmail   string // optional
	CustomerName   string // optional; "your organisation" when empty
	RecipientEmail string // required
	Type           partnerships.RelationshipType
	Roles          []partnerships.Role // empty: all the type grants
	Link           string              // the invitation's link: absolute http(s) URL, required
	StopLink       string              // the stop-reminders page: absolute http(s) URL, required
	ExpiresAt      time.Time           // required
}

// Reminder renders the reminder for d in locale, failing like Invitation does.
func (s *Set) Reminder(locale string, d ReminderData) (Message, error) {
	return s.Render(KindReminder, locale, d)
}

// prepareReminder validates a ReminderData with the invitation's rules and the stop link.
func prepareReminder(data any) (any, error) {
	var d ReminderData
	switch v := data.(type) {
	case ReminderData:
		d = v
	case *ReminderData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *ReminderData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: reminder wants templates.ReminderData, got %T", ErrInvalidData, data)
	}
	inv, err := InvitationData{
		PartnerName: d.PartnerName, PartnerEmail: d.PartnerEmail, CustomerName: d.CustomerName,
		RecipientEmail: d.RecipientEmail, Type: d.Type, Roles: d.Roles, Link: d.Link, ExpiresAt: d.ExpiresAt,
	}.normalize()
	if err != nil {
		return nil, fmt.Errorf("reminder: %w", err)
	}
	if err := checkLink(d.StopLink); err != nil {
		return nil, fmt.Errorf("%w: reminder: stop %v", ErrInvalidData, err)
	}
	d.PartnerName, d.PartnerEmail, d.CustomerName, d.RecipientEmail, d.Roles =
		inv.PartnerName, inv.PartnerEmail, inv.CustomerName, inv.RecipientEmail, inv.Roles
	return d, nil
}

// sampleReminder is a realistic reminder for previews and golden files.
func sampleReminder(t partnerships.RelationshipType) (any, error) {
	v, err := sampleInvitation(t)
	if err != nil {
		return nil, err
	}
	inv := v.(InvitationData)
	return ReminderData{
		PartnerName: inv.PartnerName, PartnerEmail: inv.PartnerEmail, CustomerName: inv.CustomerName,
		RecipientEmail: inv.RecipientEmail, Type: t, Roles: inv.Roles, Link: inv.Link,
		StopLink:  "https://partnerlink.example/reminders/stop/AQJrMQ1zdG9wLXJlbWluZGVycwAAAABrBszUAAAAAGsZQdSk4KmX2W-eiqRostUbw-gHJGluX3NhbXBsZQ",
		ExpiresAt: inv.ExpiresAt,
	}, nil
}
