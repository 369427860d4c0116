package templates

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/partnerlink/partnerlink/partnerships"
)

// NotificationData is the model of a notification: it tells a partner, or a
// customer's administrator, that something happened to their relationship. Event
// is one of NotificationEvents (the kinds of jobs.Event).
type NotificationData struct {
	Event         string                        // required: what happened, e.g. "invitation.accepted"
	Audience      string                        // required: "partner" or "customer", who is told
	RecipientName string                        // optional greeting name
	PartnerName   string                        // required
	CustomerName  string                        // required
	Type          partnerships.RelationshipType // optional: the invitation's type
	Roles         []partnerships.Role           // optional: the roles removed
	InvitationID  string                        // optional
	At            time.Time                     // required: when it happened
	Detail        string                        // relationship.ending: "30d", "7d" or "1d"
	EndsAt        time.Time                     // optional: when a time-bound relationship ends
}

// NotificationEvents lists the events a notification can tell.
func NotificationEvents() []string {
	return []string{"invitation.accepted", "invitation.declined", "invitation.expired", "agreement.signed",
		"roles.removed", "relationship.ended", "relationship.ending", "relationship.expired"}
}

// notificationView is what the notification templates see.
type notificationView struct {
	NotificationData
	Other string // the party the recipient has the relationship with
	Days  int    // relationship.ending: days left
}

// Notification renders the notification for d in locale.
func (s *Set) Notification(locale string, d NotificationData) (Message, error) {
	return s.Render(KindNotification, locale, d)
}

func prepareNotification(data any) (any, error) {
	var d NotificationData
	switch v := data.(type) {
	case NotificationData:
		d = v
	case *NotificationData:
		if v == nil {
			return nil, fmt.Errorf("%w: nil *NotificationData", ErrInvalidData)
		}
		d = *v
	default:
		return nil, fmt.Errorf("%w: notification wants templates.NotificationData, got %T", ErrInvalidData, data)
	}
	invalid := func(format string, args ...any) (any, error) {
		return nil, fmt.Errorf("%w: notification: "+format, append([]any{ErrInvalidData}, args...)...)
	}
	d.RecipientName = singleLine(d.RecipientName)
	d.PartnerName = singleLine(d.PartnerName)
	d.CustomerName = singleLine(d.CustomerName)
	d.InvitationID = singleLine(d.InvitationID)
	v := notificationView{NotificationData: d}
	switch {
	case !slices.Contains(NotificationEvents(), d.Event):
		return invalid("event %q is not one of %v", d.Event, NotificationEvents())
	case d.Audience != "partner" && d.Audience != "customer":
		return invalid("audience %q is not partner or customer", d.Audience)
	case d.PartnerName == "" || d.CustomerName == "":
		return invalid("partner and customer names are required")
	case utf8.RuneCountInString(d.PartnerName) > maxNameLen || utf8.RuneCountInString(d.CustomerName) > maxNameLen ||
		utf8.RuneCountInString(d.RecipientName) > maxNameLen:
		return invalid("names are limited to %d characters", maxNameLen)
	case d.Type != "" && !d.Type.Valid():
		return invalid("relationship type %q is not one of %v", d.Type, partnerships.Types())
	case len(d.InvitationID) > maxInvitationIDLen:
		return invalid("invitation id is too long")
	case d.At.IsZero():
		return invalid("the time is not set")
	}
	if d.Event == "relationship.ending" {
		days, ok := map[string]int{"30d": 30, "7d": 7, "1d": 1}[d.Detail]
		if !ok {
			return invalid("relationship.ending detail %q is not 30d, 7d or 1d", d.Detail)
		}
		v.Days = days
	}
	v.Other = d.CustomerName
	if d.Audience == "customer" {
		v.Other = d.PartnerName
	}
	return v, nil
}

// sampleNotification is an accepted invitation told to the partner; the customer's
// name contains markup and quotes to show the escaping.
func sampleNotification(t partnerships.RelationshipType) (any, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%w: relationship type %q is not one of %v", ErrInvalidData, t, partnerships.Types())
	}
	return NotificationData{
		Event:         "invitation.accepted",
		Audience:      "partner",
		RecipientName: "Contoso Ltd",
		PartnerName:   "Contoso Ltd",
		CustomerName:  `Fabrikam <b>&"Quotes"</b> GmbH`,
		Type:          t,
		Roles:         t.Roles(),
		InvitationID:  "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb",
		At:            time.Date(2026, time.March, 2, 9, 31, 4, 0, time.UTC),
	}, nil
}
