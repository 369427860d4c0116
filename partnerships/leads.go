package partnerships

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LeadTTL is how long a lead is kept.
const LeadTTL = 90 * 24 * time.Hour

const (
	leadPrefix      = "ld_"
	maxLeadPartners = 10
)

// Lead is a customer's request, sent from the find-a-partner directory, that one
// or more listed partners get in touch.
type Lead struct {
	ID           string    `json:"id"`
	PartnerIDs   []string  `json:"partner_ids"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Organisation string    `json:"organisation"`
	Message      string    `json:"message"`
	Locale       string    `json:"locale"`
	CreatedAt    time.Time `json:"created_at"`
}

// NewLead is what the contact form sends.
type NewLead struct {
	PartnerIDs   []string
	Name         string
	Email        string
	Organisation string
	Message      string
	Locale       string
}

func validLeadID(id string) bool { return validID(id, leadPrefix, idRandLen) }

// CreateLead validates in and stores the lead for LeadTTL. Every partner must be
// listed in the directory (ErrNotFound otherwise); bad input wraps ErrInvalidInput
// and names the field. Nothing is stored on a refusal.
func (s *Store) CreateLead(ctx context.Context, in NewLead) (Lead, error) {
	var ids []string
	for _, id := range in.PartnerIDs {
		if !validPartnerID(id) {
			return Lead{}, invalid("partners", "%.40q is not a partner id", id)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return Lead{}, invalid("partners", "select at least one partner")
	case len(ids) > maxLeadPartners:
		return Lead{}, invalid("partners", "%d selected, at most %d allowed", len(ids), maxLeadPartners)
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return Lead{}, err
	}
	email, err := cleanEmail("email", in.Email)
	if err != nil {
		return Lead{}, err
	}
	org, err := cleanName("organisation", in.Organisation)
	if err != nil {
		return Lead{}, err
	}
	msg, err := cleanText("message", strings.TrimSpace(in.Message), maxMessageRunes)
	if err != nil {
		return Lead{}, err
	}
	if msg == "" {
		return Lead{}, invalid("message", "must not be empty")
	}
	if !slices.Contains(invitationLocales, in.Locale) {
		return Lead{}, invalid("locale", "%q is not one of %v", in.Locale, invitationLocales)
	}
	l := Lead{ID: leadPrefix + randomBase32(idRandLen), PartnerIDs: ids, Name: name, Email: email,
		Organisation: org, Message: msg, Locale: in.Locale, CreatedAt: s.nowMS()}
	args := []any{l.ID, LeadTTL.Milliseconds(), len(ids)}
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, "id", l.ID, "partner_ids", strings.Join(ids, ","), "name", l.Name, "email", l.Email,
		"organisation", l.Organisation, "message", l.Message, "locale", l.Locale,
		"created_at", msString(l.CreatedAt))
	if _, err := s.run(ctx, createLeadScript, []string{leadKey(l.ID), listedKey()}, args...); err != nil {
		return Lead{}, err
	}
	return l, nil
}

// Lead returns lead id, or ErrNotFound when it is unknown or has expired.
func (s *Store) Lead(ctx context.Context, id string) (Lead, error) {
	if !validLeadID(id) {
		return Lead{}, fmt.Errorf("%w: lead %.40q", ErrNotFound, id)
	}
	m, err := s.rdb.HGetAll(ctx, leadKey(id)).Result()
	if err != nil {
		return Lead{}, fmt.Errorf("partnerships: read lead %s: %w", id, err)
	}
	if len(m) == 0 {
		return Lead{}, fmt.Errorf("%w: lead %s", ErrNotFound, id)
	}
	return Lead{
		ID: m["id"], PartnerIDs: splitList[string](m["partner_ids"]), Name: m["name"], Email: m["email"],
		Organisation: m["organisation"], Message: m["message"], Locale: m["locale"], CreatedAt: parseMS(m["created_at"]),
	}, nil
}

// ValidLeadID reports whether id has the form of a lead id.
func ValidLeadID(id string) bool { return validLeadID(id) }
