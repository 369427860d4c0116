package partnerships

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits on what an acceptance records.
const (
	maxUserAgentBytes = 512
	maxVersionBytes   = 64
	maxLocaleBytes    = 35 // BCP 47 tags in practice
	maxIPBytes        = 64 // IPv6 with port and a short zone
)

// AgreementRef names the exact customer agreement text an admin was shown.
type AgreementRef struct {
	Version string // the agreement's version, e.g. "2024-06"
	Locale  string // the language it was shown in, e.g. "de"
	SHA256  string // 64 lowercase hex chars: SHA-256 of the exact text shown
}

// AcceptInput is one admin's acceptance of an invitation.
type AcceptInput struct {
	InvitationID string
	TokenID      string // id of the token presented; must be the invitation's TokenID
	UserEmail    string // the accepting user: a global or billing admin of the invitation's customer
	Agreement    AgreementRef
	IP           string // the client's address, "addr" or "addr:port" (stored as addr); required
	UserAgent    string // cut to 512 bytes
}

// Accept has a customer admin accept an invitation and sign the customer agreement,
// in one atomic step (scripts/accept.lua). Refusals, checked in this order before
// anything is written, so a refused Accept changes nothing:
//
//   - ErrNotFound: no such invitation;
//   - ErrTokenSuperseded: in.TokenID is not the invitation's token;
//   - ErrAlreadyAccepted: it was accepted (by anyone, including a concurrent Accept);
//   - ErrNotOpen: it was declined, revoked, failed or marked expired (status named);
//   - ErrExpired: its ExpiresAt has passed;
//   - ErrNotAdmin: in.UserEmail is not a global or billing admin of its customer.
//
// Malformed input (agreement reference, user email, empty IP) gives ErrInvalidInput
// before any of these, except a malformed invitation id, which is ErrNotFound.
//
// On success the invitation is accepted; the acceptance is recorded; the
// relationship with the partner is created or extended (types and roles are unions,
// Since is kept); the partner is listed under the customer; and "invitation.accepted"
// and "agreement.signed" are audited. However many run at once for one invitation,
// exactly one succeeds.
func (s *Store) Accept(ctx context.Context, in AcceptInput) (Acceptance, Relationship, error) {
	customerID, err := CustomerOfInvitation(in.InvitationID)
	if err != nil {
		return Acceptance{}, Relationship{}, err
	}
	email, err := cleanEmail("user_email", in.UserEmail)
	if err != nil {
		return Acceptance{}, Relationship{}, err
	}
	agreement, err := cleanAgreement(in.Agreement)
	if err != nil {
		return Acceptance{}, Relationship{}, err
	}
	ip, err := cleanIP(in.IP)
	if err != nil {
		return Acceptance{}, Relationship{}, err
	}
	ua := cleanUserAgent(in.UserAgent)

	// The relationship key needs the invitation's partner, which never changes once
	// written; the script checks it is still the one read here.
	invKey := invitationKey(customerID, in.InvitationID)
	fields, err := s.rdb.HMGet(ctx, invKey, "partner_id", "duration").Result()
	if err == nil && fields[0] == nil {
		err = redis.Nil
	}
	// faults: with Redis unreachable HMGet returns no fields at all.
	var partnerID string
	if len(fields) > 0 {
		partnerID, _ = fields[0].(string)
	}
	if errors.Is(err, redis.Nil) || (err == nil && !validPartnerID(partnerID)) {
		return Acceptance{}, Relationship{}, fmt.Errorf("%w: invitation %s", ErrNotFound, in.InvitationID)
	}
	if err != nil {
		return Acceptance{}, Relationship{}, fmt.Errorf("partnerships: accept %s: %w", in.InvitationID, err)
	}

	// Partner API lifecycle (api helper): the partner's customer index entry
	// first, a derived index (keys.go).
	indexed, err := s.indexCustomer(ctx, partnerID, customerID)
	if err != nil {
		return Acceptance{}, Relationship{}, err
	}

	now := s.nowMS()
	// A time-bound relationship: its notices and end are scheduled first (a derived
	// index; the tasks re-check the relationship's end when they run).
	durationMS, _ := fields[1].(string)
	if durationMS == "" {
		durationMS = "0"
	}
	endsAt := time.Time{}
	if d := time.Duration(atoi64(durationMS)) * time.Millisecond; d > 0 {
		endsAt = now.Add(d)
		if err := s.schedule(ctx, relationshipEntries(customerID, partnerID, endsAt, now)); err != nil {
			return Acceptance{}, Relationship{}, err
		}
	}
	acc := Acceptance{
		ID:               newAcceptanceID(),
		CustomerID:       customerID,
		PartnerID:        partnerID,
		InvitationID:     in.InvitationID,
		AgreementVersion: agreement.Version,
		AgreementLocale:  agreement.Locale,
		AgreementSHA256:  agreement.SHA256,
		UserEmail:        email,
		AcceptedAt:       now,
		IP:               ip,
		UserAgent:        ua,
	}
	c := customerID
	r, err := s.run(ctx, acceptScript,
		[]string{
			invKey, usersKey(c), acceptanceKey(c, acc.ID), acceptancesKey(c),
			relationshipKey(c, partnerID), customerPartnersKey(c), auditKey(c),
		},
		in.InvitationID, in.TokenID, email, msString(now), acc.ID, partnerID, c,
		agreement.Version, agreement.Locale, agreement.SHA256, ip, ua, msString(endsAt), durationMS)
	if err != nil {
		if indexed {
			s.unindexCustomer(ctx, partnerID, customerID)
		}
		return Acceptance{}, Relationship{}, err
	}
	if !indexed {
		// Again, in case a concurrent refused accept took back the entry it wrote
		// before this one's script ran (see unindexCustomer). Best effort.
		_, _ = s.indexCustomer(context.WithoutCancel(ctx), partnerID, customerID)
	}
	v := r.strings()
	if len(v) != 7 {
		return Acceptance{}, Relationship{}, fmt.Errorf("partnerships: accept %s: unexpected reply %q", in.InvitationID, v)
	}
	acc.UserRole = Role(v[0])
	rel := Relationship{
		CustomerID:   c,
		PartnerID:    partnerID,
		Types:        splitList[RelationshipType](v[1]),
		Roles:        splitList[Role](v[2]),
		Since:        parseMS(v[3]),
		UpdatedAt:    parseMS(v[4]),
		AcceptanceID: acc.ID,
		EndsAt:       parseMS(v[5]),
		AutoExtend:   v[6] == "1",
	}
	return acc, rel, nil
}

// cleanAgreement checks an agreement reference.
func cleanAgreement(a AgreementRef) (AgreementRef, error) {
	if a.Version == "" || len(a.Version) > maxVersionBytes || strings.IndexFunc(a.Version, notToken) >= 0 {
		return AgreementRef{}, invalid("agreement.version", "%.80q must be 1 to %d letters, digits or . _ -", a.Version, maxVersionBytes)
	}
	if a.Locale == "" || len(a.Locale) > maxLocaleBytes || strings.IndexFunc(a.Locale, notToken) >= 0 {
		return AgreementRef{}, invalid("agreement.locale", "%.80q is not a locale", a.Locale)
	}
	if len(a.SHA256) != 64 || strings.IndexFunc(a.SHA256, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f')
	}) >= 0 {
		return AgreementRef{}, invalid("agreement.sha256", "%.80q is not 64 lowercase hex characters", a.SHA256)
	}
	return a, nil
}

// notToken reports runes not allowed in versions and locales.
func notToken(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
}

// cleanUserAgent is a client's user agent as the audit keeps it: trimmed and cut
// to maxUserAgentBytes on a character boundary.
func cleanUserAgent(s string) string {
	return strings.TrimSpace(truncateUTF8(s, maxUserAgentBytes))
}

// cleanIP returns an IP address or address:port as the canonical address alone.
// Anything else the web layer reports (say, a unix socket's "@") is kept as given,
// cut to 64 bytes; an empty address is refused.
func cleanIP(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("ip", "must not be empty")
	}
	if a, err := netip.ParseAddr(s); err == nil && len(s) <= maxIPBytes {
		return a.String(), nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && len(s) <= maxIPBytes {
		return ap.Addr().String(), nil
	}
	return truncateUTF8(s, maxIPBytes), nil
}
