package partnerships

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
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

	// Read, when set, is the invitation as the caller has just read it (its ID is
	// InvitationID). Its partner and duration, which never change, then spare
	// Accept reading them; the script checks both, and Accept reads them itself
	// when they do not match.
	Read *Invitation
}

// Accepted is what a successful accept did, and the customer's partners right after.
type Accepted struct {
	Acceptance   Acceptance
	Relationship Relationship
	// PartnerIDs are the ids of the customer's partners right after the accept,
	// oldest relationship first, as Relationships lists them (see ListAfterAccept).
	PartnerIDs []string
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
	a, err := s.AcceptDetailed(ctx, in)
	return a.Acceptance, a.Relationship, err
}

// AcceptDetailed is Accept, also returning the customer's partner ids right after
// it. With in.Read set it costs one Redis round trip on a single server (two on a
// Redis Cluster, three for a time-bound relationship there).
func (s *Store) AcceptDetailed(ctx context.Context, in AcceptInput) (Accepted, error) {
	customerID, err := CustomerOfInvitation(in.InvitationID)
	if err != nil {
		return Accepted{}, err
	}
	email, err := cleanEmail("user_email", in.UserEmail)
	if err != nil {
		return Accepted{}, err
	}
	agreement, err := cleanAgreement(in.Agreement)
	if err != nil {
		return Accepted{}, err
	}
	ip, err := cleanIP(in.IP)
	if err != nil {
		return Accepted{}, err
	}
	ua := cleanUserAgent(in.UserAgent)

	// The relationship key needs the invitation's partner, which never changes once
	// written; the script checks it is still the one read here.
	read := in.Read
	if read != nil && (read.ID != in.InvitationID || !validPartnerID(read.PartnerID)) {
		read = nil
	}
	for {
		partnerID, durationMS := "", "0"
		if read != nil {
			partnerID, durationMS = read.PartnerID, strconv.FormatInt(read.Duration.Milliseconds(), 10)
		} else if partnerID, durationMS, err = s.acceptTarget(ctx, customerID, in.InvitationID); err != nil {
			return Accepted{}, err
		}
		a, err := s.accept(ctx, in, customerID, partnerID, durationMS, email, agreement, ip, ua)
		if errors.Is(err, errStale) && read != nil {
			read = nil // the caller's copy was not the stored invitation: read it
			continue
		}
		return a, err
	}
}

// acceptTarget reads the partner and duration (ms) of the invitation to accept.
func (s *Store) acceptTarget(ctx context.Context, customerID, id string) (partnerID, durationMS string, err error) {
	fields, err := s.rdb.HMGet(ctx, invitationKey(customerID, id), "partner_id", "duration").Result()
	if err == nil && fields[0] == nil {
		err = redis.Nil
	}
	// faults: with Redis unreachable HMGet returns no fields at all.
	if len(fields) > 0 {
		partnerID, _ = fields[0].(string)
	}
	if errors.Is(err, redis.Nil) || (err == nil && !validPartnerID(partnerID)) {
		return "", "", fmt.Errorf("%w: invitation %s", ErrNotFound, id)
	}
	if err != nil {
		return "", "", fmt.Errorf("partnerships: accept %s: %w", id, err)
	}
	durationMS, _ = fields[1].(string)
	if durationMS == "" {
		durationMS = "0"
	}
	return partnerID, durationMS, nil
}

// accept runs the accept script for the invitation's partner and duration as the
// caller read them, after its derived entries (see keys.go): the partner's index
// entry for the customer and, for a time-bound relationship, its due entries.
func (s *Store) accept(ctx context.Context, in AcceptInput, c, partnerID, durationMS, email string,
	agreement AgreementRef, ip, ua string) (Accepted, error) {
	now := s.nowMS()
	// A time-bound relationship: its notices and end are scheduled first (a derived
	// index; the tasks re-check the relationship's end when they run).
	endsAt := time.Time{}
	var due []redis.Z
	if d := time.Duration(atoi64(durationMS)) * time.Millisecond; d > 0 {
		endsAt = now.Add(d)
		due = relationshipEntries(c, partnerID, endsAt, now)
	}
	acc := Acceptance{
		ID:               newAcceptanceID(),
		CustomerID:       c,
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
	keys := []string{
		invitationKey(c, in.InvitationID), usersKey(c), acceptanceKey(c, acc.ID), acceptancesKey(c),
		relationshipKey(c, partnerID), customerPartnersKey(c), auditKey(c),
	}
	args := []any{in.InvitationID, in.TokenID, email, msString(now), acc.ID, partnerID, c,
		agreement.Version, agreement.Locale, agreement.SHA256, ip, ua, msString(endsAt), durationMS}

	var (
		indexed, again bool
		r              reply
		err            error
	)
	if len(due) == 0 && s.orderedPipelines() {
		// One round trip: the partner's index entry, the script, and the entry
		// again (see below), which the server runs in this order.
		var idx, idxAgain *redis.IntCmd
		var run *redis.Cmd
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			idx = p.ZAddNX(ctx, partnerCustomersKey(partnerID), redis.Z{Member: c})
			run = s.queueScript(ctx, p, acceptScript, keys, args...)
			idxAgain = p.ZAddNX(ctx, partnerCustomersKey(partnerID), redis.Z{Member: c})
			return nil
		})
		r, err = s.scriptReply(ctx, run, acceptScript, keys, args...) // NOSCRIPT: runs it now
		if idx.Err() != nil && err != nil {
			return Accepted{}, fmt.Errorf("partnerships: index customer %s of %s: %w", c, partnerID, idx.Err())
		}
		// When Redis refused the entry yet ran the script (it refuses writes under
		// memory pressure, and then a flagged script too, so in practice never),
		// the entry is written again below, best effort, as after any success.
		indexed = idx.Err() == nil && idx.Val() == 1
		// The last entry write ran after the script unless it failed or the
		// script was run again after NOSCRIPT.
		again = idxAgain.Err() != nil || idx.Err() != nil || redis.HasErrorPrefix(run.Err(), "NOSCRIPT")
	} else {
		// Partner API lifecycle (api helper): the partner's customer index entry
		// first, a derived index (keys.go); a time-bound relationship's due
		// entries with it.
		var idx *redis.IntCmd
		_, perr := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			idx = p.ZAddNX(ctx, partnerCustomersKey(partnerID), redis.Z{Member: c})
			if len(due) > 0 {
				p.ZAdd(ctx, dueKey(), due...)
			}
			return nil
		})
		indexed = idx.Val() == 1
		if perr != nil {
			if indexed {
				s.unindexCustomer(ctx, partnerID, c)
			}
			return Accepted{}, fmt.Errorf("partnerships: index customer %s of %s and schedule: %w", c, partnerID, perr)
		}
		r, err = s.run(ctx, acceptScript, keys, args...)
		again = true
	}
	if err != nil {
		if indexed {
			s.unindexCustomer(ctx, partnerID, c)
		}
		return Accepted{}, err
	}
	if again && !indexed {
		// Again, in case a concurrent refused accept took back the entry it wrote
		// before this one's script ran (see unindexCustomer). Best effort.
		_, _ = s.indexCustomer(context.WithoutCancel(ctx), partnerID, c)
	}
	v := r.strings()
	if len(v) < 7 {
		return Accepted{}, fmt.Errorf("partnerships: accept %s: unexpected reply %q", in.InvitationID, v)
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
	return Accepted{Acceptance: acc, Relationship: rel, PartnerIDs: v[7:]}, nil
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
