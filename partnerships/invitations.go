package partnerships

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Invitation limits.
const (
	minInvitationTTL = time.Second
	maxInvitationTTL = 90 * 24 * time.Hour
)

// Locales invitations are written in.
var invitationLocales = []string{"en", "de"}

// NewInvitation is what a partner asks for when inviting a customer.
type NewInvitation struct {
	PartnerID string
	Email     string           // a user of the customer; the customer is found from it
	Type      RelationshipType // one of Types()
	Roles     []Role           // nil: all of Type.Roles(); otherwise a subset of them
	Locale    string           // "en" or "de"
	Message   string           // optional note from the partner, at most 2000 characters
	TTL       time.Duration    // how long the invitation stays open: 1s to 90 days

	// IdempotencyKey, when set (at most 500 bytes), makes the creation idempotent
	// for IdempotencyTTL: a second CreateInvitation of the same partner with the
	// same key returns the invitation the first one created, without error and
	// without storing or auditing anything. The rest of the request is not
	// compared.
	IdempotencyKey string

	// Where the request came from, for the audit trail: the partner's address
	// ("addr" or "addr:port"; empty when not over the network) and user agent.
	IP, UserAgent string

	// Scheduler (sched): a time-bound relationship. Duration, 1 day to 2 years (0:
	// open-ended), is how long the relationship lasts once accepted; AutoExtend
	// moves its end ExtendBy (180 days) on each time it is reached instead of
	// removing the roles. AutoExtend needs a Duration and is refused with the
	// global_admin role.
	Duration   time.Duration
	AutoExtend bool
	// LeadID, when set, names the directory lead the invitation answers (directory);
	// it is recorded in the audit detail as lead=<id>.
	LeadID string

	// Recipient, when set, holds the reads CreateInvitation makes before writing,
	// already made with the partner's API key (PartnerByAPIKeyWith). It is
	// used only when it was read for this PartnerID and Email; otherwise, or when
	// nil, CreateInvitation reads them itself.
	Recipient *Recipient
}

// Recipient is what CreateInvitation reads before it writes anything: that the
// partner exists, which customer the address belongs to (the directory index;
// the create script then checks the customer's users hash) and whether the address
// is suppressed. The reads are made in one round trip, and their failures are
// reported by CreateInvitation in that order.
type Recipient struct {
	partnerID  string // read in the same round trip: it exists
	email      string
	customerID string // "": no customer has the address
	lookupErr  error  // reading the directory failed
	suppressed bool
	supprErr   error // reading the suppression failed
}

// readFor reports whether rc was read for partnerID and email.
func (rc *Recipient) readFor(partnerID, email string) bool {
	return rc != nil && rc.partnerID == partnerID && rc.email == email
}

// customer returns the id of the recipient's customer, or why there is no
// invitation to make: ErrUnknownRecipient, ErrSuppressed or a read error.
func (rc *Recipient) customer() (string, error) {
	switch {
	case rc.lookupErr != nil:
		return "", rc.lookupErr
	case rc.customerID == "":
		return "", fmt.Errorf("%w: %s", ErrUnknownRecipient, rc.email)
	case rc.supprErr != nil:
		return "", rc.supprErr
	case rc.suppressed:
		return "", fmt.Errorf("%w: %s", ErrSuppressed, rc.email)
	}
	return rc.customerID, nil
}

// recipientReads are the recipient's reads queued in a pipeline.
type recipientReads struct {
	email      string
	customer   *redis.StringCmd
	suppressed *redis.FloatCmd
}

// queue adds the reads about email (cleaned) to p.
func (rr *recipientReads) queue(ctx context.Context, p redis.Pipeliner, email string) {
	rr.email = email
	rr.customer = p.HGet(ctx, emailsKey(), email)
	rr.suppressed = p.ZScore(ctx, suppressedKey(), email)
}

// recipient reads the answers, once the pipeline ran, for partner partnerID.
func (rr *recipientReads) recipient(partnerID string) *Recipient {
	rc := &Recipient{partnerID: partnerID, email: rr.email}
	switch id, err := rr.customer.Result(); {
	case errors.Is(err, redis.Nil):
	case err != nil:
		rc.lookupErr = fmt.Errorf("partnerships: look up %s: %w", rr.email, err)
	case validCustomerID(id):
		rc.customerID = id
	}
	switch err := rr.suppressed.Err(); {
	case err == nil:
		rc.suppressed = true
	case !errors.Is(err, redis.Nil):
		rc.supprErr = fmt.Errorf("partnerships: read suppression: %w", err)
	}
	return rc
}

// readRecipient makes CreateInvitation's reads in one round trip: that partner
// partnerID exists (else ErrNotFound), and the recipient's.
func (s *Store) readRecipient(ctx context.Context, partnerID, email string) (*Recipient, error) {
	var exists *redis.IntCmd
	var rr recipientReads
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, partnerKey(partnerID))
		rr.queue(ctx, p, email)
		return nil
	}) // each command's own error is looked at, in CreateInvitation's order
	switch n, err := exists.Result(); {
	case err != nil:
		return nil, fmt.Errorf("partnerships: read partner %s: %w", partnerID, err)
	case n == 0:
		return nil, fmt.Errorf("%w: partner %s", ErrNotFound, partnerID)
	}
	return rr.recipient(partnerID), nil
}

// CreateInvitation validates in, finds the customer from in.Email (ErrUnknownRecipient
// when no customer has that user; ErrSuppressed, before anything is written, when
// the address bounced repeatedly, see RecordHardBounce) and stores a pending invitation with a fresh id
// and token id, indexed under the customer and audited, in one atomic step.
//
// Validation errors wrap ErrInvalidInput, ErrInvalidType or ErrInvalidRole and name
// the field; an unknown partner gives ErrNotFound. CreatedAt is the store's time in
// whole seconds and ExpiresAt is CreatedAt+TTL, also in whole seconds.
//
// It costs three round trips: the reads (partner, directory, suppression: see
// Recipient; none when in.Recipient has them), the derived index entries, the
// create script. The customer's users hash is checked by the script alone, so an
// address the directory names but the users hash does not (yet) hold is refused by
// the script, with its entries taken back, rather than before them.
func (s *Store) CreateInvitation(ctx context.Context, in NewInvitation) (Invitation, error) {
	if !validPartnerID(in.PartnerID) {
		return Invitation{}, invalid("partner_id", "%.40q is not a partner id", in.PartnerID)
	}
	email, err := cleanEmail("email", in.Email)
	if err != nil {
		return Invitation{}, err
	}
	if !in.Type.Valid() {
		return Invitation{}, fmt.Errorf("%w: type: %q is not one of %v", ErrInvalidType, in.Type, Types())
	}
	roles, err := requestedRoles(in.Type, in.Roles)
	if err != nil {
		return Invitation{}, err
	}
	if !slices.Contains(invitationLocales, in.Locale) {
		return Invitation{}, invalid("locale", "%q is not one of %v", in.Locale, invitationLocales)
	}
	message, err := cleanText("message", in.Message, maxMessageRunes)
	if err != nil {
		return Invitation{}, err
	}
	if len(in.IdempotencyKey) > maxIdempotencyKeyBytes {
		return Invitation{}, invalid("idempotency_key", "is longer than %d bytes", maxIdempotencyKeyBytes)
	}
	if in.LeadID != "" && !validLeadID(in.LeadID) {
		return Invitation{}, invalid("lead_id", "%.40q is not a lead id", in.LeadID)
	}
	if in.TTL < minInvitationTTL || in.TTL > maxInvitationTTL {
		return Invitation{}, invalid("ttl", "%v is not between %v and %v", in.TTL, minInvitationTTL, maxInvitationTTL)
	}
	if err := checkDuration(in.Duration, in.AutoExtend, roles); err != nil {
		return Invitation{}, err
	}
	rc := in.Recipient
	if !rc.readFor(in.PartnerID, email) {
		if rc, err = s.readRecipient(ctx, in.PartnerID, email); err != nil {
			return Invitation{}, err
		}
	}
	customerID, err := rc.customer()
	if err != nil {
		return Invitation{}, err
	}

	created := s.now().UTC().Truncate(time.Second)
	inv := Invitation{
		ID:         newInvitationID(customerID),
		PartnerID:  in.PartnerID,
		CustomerID: customerID,
		Email:      email,
		Type:       in.Type,
		Roles:      roles,
		Locale:     in.Locale,
		Message:    message,
		Status:     StatusPending,
		TokenID:    newTokenID(),
		CreatedAt:  created,
		ExpiresAt:  created.Add(in.TTL).Truncate(time.Second),
		Sends:      1,
		Duration:   in.Duration,
		AutoExtend: in.AutoExtend,
	}
	ip := ""
	if in.IP != "" {
		if ip, err = cleanIP(in.IP); err != nil {
			return Invitation{}, err
		}
	}
	detail := fmt.Sprintf("type=%s roles=%s expires_at=%s", inv.Type, joinList(inv.Roles), inv.ExpiresAt.Format(time.RFC3339))
	if inv.Duration > 0 { // Scheduler (sched): a time-bound relationship
		detail += fmt.Sprintf(" duration=%s auto_extend=%t", inv.Duration, inv.AutoExtend)
	}
	if in.LeadID != "" {
		detail += " lead=" + in.LeadID
	}
	args := []any{inv.ID, inv.Email, msString(inv.CreatedAt), inv.PartnerID, detail,
		ip, cleanUserAgent(in.UserAgent)}
	c := inv.CustomerID
	keys := []string{invitationKey(c, inv.ID), invitationsKey(c), usersKey(c), auditKey(c),
		relationshipKey(c, inv.PartnerID)}
	if in.IdempotencyKey != "" {
		keys = append(keys, idempotencyKey(c, idempotencyDigest(in.PartnerID, in.IdempotencyKey)))
		args = append(args, IdempotencyTTL.Milliseconds())
	} else {
		args = append(args, "0")
	}
	args = append(args, string(inv.Type))
	args = append(args, encodeInvitation(inv)...)
	// Its reminders and expiry and the partner's index entry are written first
	// (both derived indexes, see keys.go), then the record.
	due := s.invitationEntries(inv)
	entry := invitationIndexEntry(inv)
	r, err := s.indexThenCreate(ctx, inv, due, entry, keys, args)
	if err != nil || r.detail == "existing" {
		s.unindexInvitation(ctx, inv.PartnerID, entry)
		s.unschedule(ctx, due)
	}
	if err != nil {
		return Invitation{}, relatedError(r, err)
	}
	if r.detail == "existing" {
		ids := r.strings()
		if len(ids) != 1 {
			return Invitation{}, fmt.Errorf("partnerships: create_invitation: bad reply %v", r.values)
		}
		return s.Invitation(ctx, ids[0])
	}
	return inv, nil
}

// indexThenCreate writes an invitation's due entries and its partner's index
// entry, then runs create_invitation. On one server that is one round trip: the
// server runs a pipeline's commands in order. On a Redis Cluster the nodes run
// their shares of a pipeline at once, so the entries go first, on their own.
func (s *Store) indexThenCreate(ctx context.Context, inv Invitation, due []redis.Z, entry string, keys []string, args []any) (reply, error) {
	index := func(p redis.Pipeliner) (*redis.IntCmd, *redis.IntCmd) {
		return p.ZAdd(ctx, dueKey(), due...), p.ZAdd(ctx, partnerInvitationsKey(inv.PartnerID), redis.Z{Member: entry})
	}
	indexErr := func(a, b *redis.IntCmd) error {
		if err := errors.Join(a.Err(), b.Err()); err != nil {
			return fmt.Errorf("partnerships: index and schedule invitation %s: %w", inv.ID, err)
		}
		return nil
	}
	if !s.orderedPipelines() {
		var a, b *redis.IntCmd
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { a, b = index(p); return nil })
		if err := indexErr(a, b); err != nil {
			return reply{}, err
		}
		return s.run(ctx, createInvitationScript, keys, args...)
	}
	var a, b *redis.IntCmd
	var run *redis.Cmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		a, b = index(p)
		run = s.queueScript(ctx, p, createInvitationScript, keys, args...)
		return nil
	})
	if err := indexErr(a, b); err != nil {
		// Redis refuses writes under memory pressure, and then the script too.
		// Had it stored the record all the same, the record must not stay
		// without its entries: they are written again, best effort.
		if r, serr := createInvitationScript.reply(run.Slice()); serr == nil && r.detail != "existing" {
			_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { index(p); return nil })
			return r, nil
		}
		return reply{}, err
	}
	return s.scriptReply(ctx, run, createInvitationScript, keys, args...) // NOSCRIPT: runs it now
}

// IdempotencyTTL is how long an invitation's idempotency key is remembered.
const IdempotencyTTL = 30 * 24 * time.Hour

const maxIdempotencyKeyBytes = 500

// idempotencyDigest is the hex SHA-256 of a partner's idempotency key: keys of
// different partners never meet, and the caller's string never reaches a key name.
func idempotencyDigest(partnerID, key string) string {
	sum := sha256.Sum256([]byte(partnerID + "\n" + key))
	return hex.EncodeToString(sum[:])
}

// requestedRoles checks the roles a partner asks for against what the type grants and
// returns them in the type's order without duplicates. nil asks for all of them.
func requestedRoles(t RelationshipType, asked []Role) ([]Role, error) {
	granted := t.Roles()
	if asked == nil {
		return append([]Role{}, granted...), nil
	}
	for _, r := range asked {
		if !slices.Contains(granted, r) {
			return nil, fmt.Errorf("%w: roles: type %s does not grant %q (it grants %v)", ErrInvalidRole, t, r, granted)
		}
	}
	out := []Role{}
	for _, r := range granted {
		if slices.Contains(asked, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Invitation returns the invitation with the given id.
func (s *Store) Invitation(ctx context.Context, id string) (Invitation, error) {
	return readInvitation(ctx, s.rdb, id)()
}

// InvitationsByCustomer returns a customer's invitations, oldest first (those created
// in the same second in id order).
func (s *Store) InvitationsByCustomer(ctx context.Context, customerID string) ([]Invitation, error) {
	if err := s.customerExists(ctx, customerID); err != nil {
		return nil, err
	}
	ids, err := s.rdb.ZRange(ctx, invitationsKey(customerID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list invitations of %s: %w", customerID, err)
	}
	maps, err := s.hashes(ctx, ids, func(id string) string { return invitationKey(customerID, id) })
	if err != nil {
		return nil, fmt.Errorf("partnerships: list invitations of %s: %w", customerID, err)
	}
	out := make([]Invitation, 0, len(maps))
	for _, m := range maps {
		out = append(out, decodeInvitation(m))
	}
	return out, nil
}

// MarkSent records that the invitation's email, with the given Message-ID, was
// accepted by the SMTP server: pending → sent, with SentAt and MessageID, audited.
// An invitation already sent is returned unchanged without error (a send job may run
// twice). Any other status returns the invitation with an error wrapping ErrNotOpen:
// the caller must not send.
func (s *Store) MarkSent(ctx context.Context, id, messageID string) (Invitation, error) {
	return invitationReply(s.markSent(ctx, id, messageID, false))
}

// RecordSent is MarkSent without the invitation in the answer, for the worker,
// which needs nothing back: the script then replies with two short strings
// instead of the whole hash.
func (s *Store) RecordSent(ctx context.Context, id, messageID string) error {
	_, err := s.markSent(ctx, id, messageID, true)
	return err
}

// markSent runs mark_sent; lean leaves the invitation out of its reply.
func (s *Store) markSent(ctx context.Context, id, messageID string, lean bool) (reply, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return reply{}, err
	}
	if messageID == "" || len(messageID) > maxMessageID ||
		strings.IndexFunc(messageID, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return reply{}, invalid("message_id", "%.80q is not a Message-ID", messageID)
	}
	leanFlag := "0"
	if lean {
		leanFlag = "1"
	}
	return s.run(ctx, markSentScript, []string{invitationKey(c, id), auditKey(c)},
		id, messageID, msString(s.nowMS()), leanFlag)
}

// MarkFailed records that the SMTP server refused the invitation's email for good:
// pending or sent → failed with the reason (cut to 1000 bytes), audited. Any other
// status returns the invitation with an error wrapping ErrNotOpen.
func (s *Store) MarkFailed(ctx context.Context, id, reason string) (Invitation, error) {
	return s.closeWithReason(ctx, id, reason, StatusFailed, ActionInvitationFailed, false)
}

// closeWithReason ends open invitation id with status and reason, audited as
// action (scripts/close_open.lua). again says whether an invitation already in
// status is a success (true) or ErrNotOpen (false).
func (s *Store) closeWithReason(ctx context.Context, id, reason string, status Status, action string, again bool) (Invitation, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, err
	}
	reason = strings.TrimSpace(truncateUTF8(reason, maxReasonBytes))
	if reason == "" {
		return Invitation{}, invalid("reason", "must not be empty")
	}
	againFlag := "0"
	if again {
		againFlag = "1"
	}
	r, err := s.run(ctx, closeOpenScript, []string{invitationKey(c, id), auditKey(c)},
		id, reason, msString(s.nowMS()), string(status), action, againFlag)
	return invitationReply(r, err)
}

// invitationReply decodes the invitation mark_sent and close_open return, with
// success and with a refusal alike.
func invitationReply(r reply, err error) (Invitation, error) {
	if len(r.values) == 0 {
		return Invitation{}, err
	}
	m, derr := fieldMap(r.values[0])
	if derr != nil {
		return Invitation{}, derr
	}
	return decodeInvitation(m), err
}

func encodeInvitation(inv Invitation) []any {
	return []any{
		"id", inv.ID,
		"partner_id", inv.PartnerID,
		"customer_id", inv.CustomerID,
		"email", inv.Email,
		"type", string(inv.Type),
		"roles", joinList(inv.Roles),
		"locale", inv.Locale,
		"message", inv.Message,
		"status", string(inv.Status),
		"token_id", inv.TokenID,
		"message_id", inv.MessageID,
		"failure_reason", inv.FailureReason,
		"created_at", msString(inv.CreatedAt),
		"sent_at", msString(inv.SentAt),
		"expires_at", msString(inv.ExpiresAt),
		"decided_at", msString(inv.DecidedAt),
		"decided_by", inv.DecidedBy,
		"acceptance_id", inv.AcceptanceID,
		// Partner API lifecycle (api helper).
		"sends", strconv.Itoa(inv.Sends),
		"resent_at", msString(inv.ResentAt),
		"replaced_by", inv.ReplacedBy,
		"replaces", inv.Replaces,
		// Scheduler (sched).
		"duration", strconv.FormatInt(inv.Duration.Milliseconds(), 10),
		"auto_extend", flag(inv.AutoExtend),
		"reminded", strconv.Itoa(inv.Reminded),
		"reminders_stopped", flag(inv.RemindersStopped),
	}
}

func decodeInvitation(m map[string]string) Invitation {
	return Invitation{
		ID:            m["id"],
		PartnerID:     m["partner_id"],
		CustomerID:    m["customer_id"],
		Email:         m["email"],
		Type:          RelationshipType(m["type"]),
		Roles:         splitList[Role](m["roles"]),
		Locale:        m["locale"],
		Message:       m["message"],
		Status:        Status(m["status"]),
		TokenID:       m["token_id"],
		MessageID:     m["message_id"],
		FailureReason: m["failure_reason"],
		CreatedAt:     parseMS(m["created_at"]),
		SentAt:        parseMS(m["sent_at"]),
		ExpiresAt:     parseMS(m["expires_at"]),
		DecidedAt:     parseMS(m["decided_at"]),
		DecidedBy:     m["decided_by"],
		AcceptanceID:  m["acceptance_id"],
		// Partner API lifecycle (api helper).
		Sends:      sendsOf(m["sends"]),
		ResentAt:   parseMS(m["resent_at"]),
		ReplacedBy: m["replaced_by"],
		Replaces:   m["replaces"],
		// Scheduler (sched).
		Duration:         time.Duration(atoi64(m["duration"])) * time.Millisecond,
		AutoExtend:       m["auto_extend"] == "1",
		Reminded:         int(atoi64(m["reminded"])),
		RemindersStopped: m["reminders_stopped"] == "1",
	}
}
