package partnerships

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultReminders are the reminder offsets before an invitation's expiry: 7, 3
// and 1 days.
var DefaultReminders = []time.Duration{168 * time.Hour, 72 * time.Hour, 24 * time.Hour}

// Time-bound relationships.
const (
	MinDuration  = 24 * time.Hour
	MaxDuration  = 2 * 365 * 24 * time.Hour
	ExtendBy     = 180 * 24 * time.Hour // what auto-extend adds at the end
	maxReminders = 10
)

// EndingNotices are the notices before a time-bound relationship ends, with the
// Detail each carries.
var EndingNotices = []struct {
	Before time.Duration
	Detail string
}{
	{30 * 24 * time.Hour, "30d"},
	{7 * 24 * time.Hour, "7d"},
	{24 * time.Hour, "1d"},
}

// WithReminders sets the reminder offsets before expiry that CreateInvitation
// schedules (default DefaultReminders). Each must be positive; at most 10.
func WithReminders(offsets []time.Duration) Option {
	return func(s *Store) { s.reminders = slices.Clone(offsets) }
}

// ParseReminders parses a comma list of reminder offsets such as "168h,72h,24h"
// ("" or "none": no reminders).
func ParseReminders(v string) ([]time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "none" {
		return []time.Duration{}, nil
	}
	var out []time.Duration
	for part := range strings.SplitSeq(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 || d > maxInvitationTTL {
			return nil, fmt.Errorf("%w: reminders: %q is not a duration between 1ns and %v", ErrInvalidInput, part, maxInvitationTTL)
		}
		out = append(out, d)
	}
	if len(out) > maxReminders {
		return nil, fmt.Errorf("%w: reminders: at most %d, got %d", ErrInvalidInput, maxReminders, len(out))
	}
	return out, nil
}

// Due kinds.
const (
	DueRemind = "remind"
	DueExpire = "expire"
	DueEnding = "ending"
	DueEnd    = "end"
)

// Due is one entry of the scheduler's due set: what to do and when.
type Due struct {
	Member string    // the entry as stored; also names its task
	At     time.Time // when it is due (for remind and expire known only from the set)
	Kind   string    // DueRemind, DueExpire, DueEnding or DueEnd

	InvitationID string    // remind, expire
	N            int       // remind: the reminder's number, 1 for the first
	CustomerID   string    // ending, end
	PartnerID    string    // ending, end
	EndsAt       time.Time // ending, end: the end the entry was scheduled for
	Notice       string    // ending: "30d", "7d" or "1d"
}

// ParseDue reads a due set member.
func ParseDue(member string) (Due, error) {
	f := strings.Split(member, ":")
	d := Due{Member: member, Kind: f[0]}
	bad := fmt.Errorf("%w: due entry %.120q", ErrInvalidInput, member)
	switch {
	case d.Kind == DueRemind && len(f) == 3:
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 1 || n > maxReminders || !validInvitationID(f[1]) {
			return Due{}, bad
		}
		d.InvitationID, d.N = f[1], n
	case d.Kind == DueExpire && len(f) == 2:
		if !validInvitationID(f[1]) {
			return Due{}, bad
		}
		d.InvitationID = f[1]
	case (d.Kind == DueEnding && len(f) == 5) || (d.Kind == DueEnd && len(f) == 4):
		ms, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || ms <= 0 || !validCustomerID(f[1]) || !validPartnerID(f[2]) {
			return Due{}, bad
		}
		d.CustomerID, d.PartnerID, d.EndsAt = f[1], f[2], time.UnixMilli(ms).UTC()
		d.At = d.EndsAt
		if d.Kind == DueEnding {
			i := slices.IndexFunc(EndingNotices, func(n struct {
				Before time.Duration
				Detail string
			}) bool {
				return n.Detail == f[4]
			})
			if i < 0 {
				return Due{}, bad
			}
			d.Notice, d.At = f[4], d.EndsAt.Add(-EndingNotices[i].Before)
		}
	default:
		return Due{}, bad
	}
	return d, nil
}

func remindMember(id string, n int) string { return DueRemind + ":" + id + ":" + strconv.Itoa(n) }
func expireMember(id string) string        { return DueExpire + ":" + id }
func endingMember(c, p string, ends time.Time, notice string) string {
	return DueEnding + ":" + c + ":" + p + ":" + msString(ends) + ":" + notice
}
func endMember(c, p string, ends time.Time) string {
	return DueEnd + ":" + c + ":" + p + ":" + msString(ends)
}

// DueBy returns up to limit entries due at or before now, earliest first. It costs
// O(log n + limit) however many entries wait.
func (s *Store) DueBy(ctx context.Context, now time.Time, limit int) ([]Due, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, dueKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: read due entries: %w", err)
	}
	out := make([]Due, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		d, err := ParseDue(m)
		if err != nil {
			d = Due{Member: m} // Kind "": the caller drops it
		}
		d.At = time.UnixMilli(int64(z.Score)).UTC()
		out = append(out, d)
	}
	return out, nil
}

// DueDone removes entries whose tasks are queued.
func (s *Store) DueDone(ctx context.Context, members ...string) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, len(members))
	for i, m := range members {
		args[i] = m
	}
	if err := s.rdb.ZRem(ctx, dueKey(), args...).Err(); err != nil {
		return fmt.Errorf("partnerships: remove due entries: %w", err)
	}
	return nil
}

// schedule adds due entries (member → time). It runs before the record's script.
func (s *Store) schedule(ctx context.Context, entries []redis.Z) error {
	if len(entries) == 0 {
		return nil
	}
	if err := s.rdb.ZAdd(ctx, dueKey(), entries...).Err(); err != nil {
		return fmt.Errorf("partnerships: schedule: %w", err)
	}
	return nil
}

// unschedule takes back entries schedule wrote for a record whose script then
// refused: best effort, as a dangling entry is skipped when its task runs.
func (s *Store) unschedule(ctx context.Context, entries []redis.Z) {
	members := make([]any, len(entries))
	for i, e := range entries {
		members[i] = e.Member
	}
	if len(members) > 0 {
		_ = s.rdb.ZRem(context.WithoutCancel(ctx), dueKey(), members...).Err()
	}
}

// invitationEntries are the due entries of a new invitation: its reminders (those
// due after its creation, latest offset first) and its expiry.
func (s *Store) invitationEntries(inv Invitation) []redis.Z {
	offsets := slices.Clone(s.reminders)
	slices.Sort(offsets)
	offsets = slices.Compact(offsets)
	slices.Reverse(offsets)
	out := []redis.Z{{Score: float64(inv.ExpiresAt.UnixMilli()), Member: expireMember(inv.ID)}}
	for i, off := range offsets {
		at := inv.ExpiresAt.Add(-off)
		if !at.After(inv.CreatedAt) {
			continue
		}
		out = append(out, redis.Z{Score: float64(at.UnixMilli()), Member: remindMember(inv.ID, i+1)})
	}
	return out
}

// relationshipEntries are the due entries of a relationship ending at ends: the
// notices before it (those still ahead of now) and the end itself.
func relationshipEntries(c, p string, ends, now time.Time) []redis.Z {
	out := []redis.Z{{Score: float64(ends.UnixMilli()), Member: endMember(c, p, ends)}}
	for _, n := range EndingNotices {
		at := ends.Add(-n.Before)
		if at.Before(now) {
			continue
		}
		out = append(out, redis.Z{Score: float64(at.UnixMilli()), Member: endingMember(c, p, ends, n.Detail)})
	}
	return out
}

// checkDuration validates a time-bound invitation's duration and auto-extend.
func checkDuration(d time.Duration, autoExtend bool, roles []Role) error {
	if d != 0 && (d < MinDuration || d > MaxDuration) {
		return invalid("duration", "%v is not between 1 day (24h) and 2 years (17520h)", d)
	}
	if autoExtend && d == 0 {
		return invalid("auto_extend", "needs a duration: an open-ended relationship has no end to extend")
	}
	if autoExtend && slices.Contains(roles, GlobalAdmin) {
		return invalid("auto_extend", "is not allowed with the global_admin role: such access must be renewed explicitly")
	}
	return nil
}

func validInvitationID(id string) bool { _, err := CustomerOfInvitation(id); return err == nil }

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// RecordReminder records reminder n (1 for the first) of invitation id, in one
// script (scripts/remind.lua), and returns the invitation to remind. Refusals
// change nothing: ErrNotOpen (not sent: pending, accepted, declined, revoked,
// expired, failed, bounced), ErrExpired (past its expiry), ErrRemindersStopped,
// ErrAlreadyReminded (reminder n or a later one was recorded; the invitation is
// returned with it), ErrNotFound.
func (s *Store) RecordReminder(ctx context.Context, id string, n int) (Invitation, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, err
	}
	if n < 1 || n > maxReminders {
		return Invitation{}, invalid("n", "%d is not between 1 and %d", n, maxReminders)
	}
	r, err := s.run(ctx, remindScript, []string{invitationKey(c, id), auditKey(c)},
		id, strconv.Itoa(n), msString(s.nowMS()))
	return invitationReply(r, err)
}

// ExpireInvitation moves open invitation id past its expiry to expired, audited
// as invitation.expired by "system" (scripts/expire_invitation.lua). Refusals
// change nothing: ErrNotOpen (no longer open; the invitation is returned),
// ErrNotDue (its expiry is still ahead, say after a resend), ErrNotFound.
func (s *Store) ExpireInvitation(ctx context.Context, id string) (Invitation, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, err
	}
	r, err := s.run(ctx, expireInvitationScript, []string{invitationKey(c, id), auditKey(c)},
		id, msString(s.nowMS()))
	return invitationReply(r, err)
}

// StopReminders records that the recipient of invitation id wants no more
// reminders (the one-click link of a reminder), audited with ip and user agent.
// Stopping again is a success that changes nothing. The invitation stays valid.
func (s *Store) StopReminders(ctx context.Context, id, ip, userAgent string) (Invitation, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, err
	}
	if ip, err = cleanIP(ip); err != nil {
		return Invitation{}, err
	}
	ua := cleanUserAgent(userAgent)
	r, err := s.run(ctx, stopRemindersScript, []string{invitationKey(c, id), auditKey(c)},
		id, msString(s.nowMS()), ip, ua)
	return invitationReply(r, err)
}

// EndTerm ends the term of a time-bound relationship that was due to end at
// endsAt (scripts/end_term.lua): with auto-extend its end moves ExtendBy on (new
// notices and end are scheduled first) and extended is true; otherwise its roles
// are removed, audited as relationship.expired by "system". Refusals change
// nothing: ErrNotFound, ErrStaleSchedule (its end is no longer endsAt: extended,
// shortened or made open-ended since), ErrNotDue.
func (s *Store) EndTerm(ctx context.Context, customerID, partnerID string, endsAt time.Time) (rel Relationship, extended bool, err error) {
	if !validCustomerID(customerID) || !validPartnerID(partnerID) {
		return Relationship{}, false, fmt.Errorf("%w: relationship %.40q–%.40q", ErrNotFound, customerID, partnerID)
	}
	now := s.nowMS()
	next := endsAt.Add(ExtendBy)
	autoExtend, err := s.rdb.HGet(ctx, relationshipKey(customerID, partnerID), "auto_extend").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return Relationship{}, false, fmt.Errorf("partnerships: end term %s–%s: %w", customerID, partnerID, err)
	}
	if autoExtend == "1" {
		if err := s.schedule(ctx, relationshipEntries(customerID, partnerID, next, now)); err != nil {
			return Relationship{}, false, err
		}
	}
	r, err := s.run(ctx, endTermScript,
		[]string{relationshipKey(customerID, partnerID), auditKey(customerID)},
		customerID, partnerID, msString(endsAt), msString(now), msString(next))
	if err != nil {
		return Relationship{}, false, err
	}
	if len(r.values) == 0 {
		return Relationship{}, false, fmt.Errorf("partnerships: end term: bad reply")
	}
	m, err := fieldMap(r.values[0])
	if err != nil {
		return Relationship{}, false, err
	}
	return decodeRelationship(m), r.detail == "extended", nil
}

// ScheduleInvitation (re)writes the due entries of inv — its reminders before
// ExpiresAt and its expiry — for a flow that moves an invitation's expiry (a
// resend). Call it BEFORE the script that stores the new expiry: the entries are
// a derived index, and tasks of entries that no longer match are no-ops.
func (s *Store) ScheduleInvitation(ctx context.Context, inv Invitation) error {
	if !validInvitationID(inv.ID) || inv.ExpiresAt.IsZero() {
		return invalid("invitation", "%.40q has no id or expiry to schedule", inv.ID)
	}
	return s.schedule(ctx, s.invitationEntries(inv))
}
