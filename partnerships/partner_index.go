package partnerships

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"
)

// A partner's own invitations and customers: derived indexes under the partner's
// hash tag (keys.go). Entries are written before the record's script; readers skip
// an entry whose record is missing or is not the partner's.

// MaxListLimit is the most records one list call returns.
const MaxListLimit = 200

// listScanBatch is how many index entries a list reads at a time, and
// listScanMax how many it reads at most before it returns a shorter page (with a
// cursor) rather than scanning on.
const (
	listScanBatch = 100
	listScanMax   = 5000
)

var invitationEntryPattern = regexp.MustCompile(`^[0-9]{13}:in_[a-z2-7]{16}_[a-z2-7]{16}$`)

func invitationIndexEntry(inv Invitation) string {
	return fmt.Sprintf("%013d:%s", inv.CreatedAt.UnixMilli(), inv.ID)
}

// indexInvitation writes inv's entry in its partner's index and returns it.
func (s *Store) indexInvitation(ctx context.Context, inv Invitation) (string, error) {
	entry := invitationIndexEntry(inv)
	if err := s.rdb.ZAdd(ctx, partnerInvitationsKey(inv.PartnerID), redis.Z{Member: entry}).Err(); err != nil {
		return "", fmt.Errorf("partnerships: index invitation %s: %w", inv.ID, err)
	}
	return entry, nil
}

// unindexInvitation takes back an entry whose record was not written. It is best
// effort: an entry left behind is skipped by readers.
func (s *Store) unindexInvitation(ctx context.Context, partnerID, entry string) {
	_ = s.rdb.ZRem(context.WithoutCancel(ctx), partnerInvitationsKey(partnerID), entry).Err()
}

// indexCustomer lists customerID under partnerID (before an accept) and reports
// whether the entry is new.
func (s *Store) indexCustomer(ctx context.Context, partnerID, customerID string) (bool, error) {
	n, err := s.rdb.ZAddNX(ctx, partnerCustomersKey(partnerID), redis.Z{Member: customerID}).Result()
	if err != nil {
		return false, fmt.Errorf("partnerships: index customer %s of %s: %w", customerID, partnerID, err)
	}
	return n == 1, nil
}

// unindexCustomer takes back a new entry after a refused accept, unless the
// relationship exists. A concurrent accept of the same customer and partner may
// succeed meanwhile (its own entry write found this one and did nothing): so after
// removing, look again and put the entry back if the relationship appeared. With
// Accept adding the entry again after a success, the entry survives every
// interleaving. Best effort: an entry left behind is skipped by readers.
func (s *Store) unindexCustomer(ctx context.Context, partnerID, customerID string) {
	ctx = context.WithoutCancel(ctx)
	key := partnerCustomersKey(partnerID)
	if n, err := s.rdb.Exists(ctx, relationshipKey(customerID, partnerID)).Result(); err != nil || n == 1 {
		return
	}
	if err := s.rdb.ZRem(ctx, key, customerID).Err(); err != nil {
		return
	}
	if n, err := s.rdb.Exists(ctx, relationshipKey(customerID, partnerID)).Result(); err == nil && n == 1 {
		_ = s.rdb.ZAddNX(ctx, key, redis.Z{Member: customerID}).Err()
	}
}

// InvitationFilter picks a partner's invitations.
type InvitationFilter struct {
	Status Status // "" for every status
	Limit  int    // 1 to MaxListLimit
	Cursor string // "" for the newest; else the Next of the previous page
}

// PartnerInvitations returns partner partnerID's invitations, newest first,
// filtered by f.Status, at most f.Limit of them, and the cursor of the next page
// ("" when the index is exhausted). A page may be shorter than the limit when many
// entries did not match; its cursor then goes on from where it stopped.
func (s *Store) PartnerInvitations(ctx context.Context, partnerID string, f InvitationFilter) ([]Invitation, string, error) {
	if !validPartnerID(partnerID) {
		return nil, "", invalid("partner_id", "%.40q is not a partner id", partnerID)
	}
	if f.Limit < 1 || f.Limit > MaxListLimit {
		return nil, "", invalid("limit", "%d is not between 1 and %d", f.Limit, MaxListLimit)
	}
	if f.Cursor != "" && !invitationEntryPattern.MatchString(f.Cursor) {
		return nil, "", invalid("cursor", "%.60q is not a cursor this list returned", f.Cursor)
	}
	if f.Status != "" && !validStatus(f.Status) {
		return nil, "", invalid("status", "%.40q is not one of %v", f.Status, Statuses())
	}
	out := []Invitation{}
	cursor := f.Cursor
	for scanned := 0; scanned < listScanMax; {
		max := "+"
		if cursor != "" {
			max = "(" + cursor
		}
		entries, err := s.rdb.ZRevRangeByLex(ctx, partnerInvitationsKey(partnerID), &redis.ZRangeBy{
			Max: max, Min: "-", Count: listScanBatch,
		}).Result()
		if err != nil {
			return nil, "", fmt.Errorf("partnerships: list invitations of %s: %w", partnerID, err)
		}
		maps, err := s.hashesInOrder(ctx, entries, func(e string) string {
			id := e[strings.IndexByte(e, ':')+1:]
			c, _ := CustomerOfInvitation(id)
			return invitationKey(c, id)
		})
		if err != nil {
			return nil, "", fmt.Errorf("partnerships: list invitations of %s: %w", partnerID, err)
		}
		for i, m := range maps {
			cursor = entries[i]
			scanned++
			if len(m) == 0 || m["partner_id"] != partnerID || (f.Status != "" && Status(m["status"]) != f.Status) {
				continue
			}
			out = append(out, decodeInvitation(m))
			if len(out) == f.Limit {
				return out, cursor, nil
			}
		}
		if len(entries) < listScanBatch {
			return out, "", nil
		}
	}
	return out, cursor, nil
}

// PartnerRelationships returns partner partnerID's relationships in customer id
// order, at most limit (1 to MaxListLimit) of them after cursor (a customer id,
// "" for the first), and the cursor of the next page ("" when exhausted).
func (s *Store) PartnerRelationships(ctx context.Context, partnerID string, limit int, cursor string) ([]Relationship, string, error) {
	if !validPartnerID(partnerID) {
		return nil, "", invalid("partner_id", "%.40q is not a partner id", partnerID)
	}
	if limit < 1 || limit > MaxListLimit {
		return nil, "", invalid("limit", "%d is not between 1 and %d", limit, MaxListLimit)
	}
	if cursor != "" && !validCustomerID(cursor) {
		return nil, "", invalid("cursor", "%.60q is not a cursor this list returned", cursor)
	}
	out := []Relationship{}
	for scanned := 0; scanned < listScanMax; {
		min := "-"
		if cursor != "" {
			min = "(" + cursor
		}
		ids, err := s.rdb.ZRangeByLex(ctx, partnerCustomersKey(partnerID), &redis.ZRangeBy{
			Min: min, Max: "+", Count: listScanBatch,
		}).Result()
		if err != nil {
			return nil, "", fmt.Errorf("partnerships: list relationships of %s: %w", partnerID, err)
		}
		maps, err := s.hashesInOrder(ctx, ids, func(c string) string { return relationshipKey(c, partnerID) })
		if err != nil {
			return nil, "", fmt.Errorf("partnerships: list relationships of %s: %w", partnerID, err)
		}
		for i, m := range maps {
			cursor = ids[i]
			scanned++
			if len(m) == 0 || m["partner_id"] != partnerID {
				continue
			}
			out = append(out, decodeRelationship(m))
			if len(out) == limit {
				return out, cursor, nil
			}
		}
		if len(ids) < listScanBatch {
			return out, "", nil
		}
	}
	return out, cursor, nil
}

// hashesInOrder reads the hash of each item in one pipeline, keeping the order
// and giving an empty map for a missing one (or a key of another type).
func (s *Store) hashesInOrder(ctx context.Context, items []string, key func(string) string) ([]map[string]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(items))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, it := range items {
			cmds[i] = p.HGetAll(ctx, key(it))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]map[string]string, len(items))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// Statuses lists every invitation status.
func Statuses() []Status {
	return []Status{StatusPending, StatusSent, StatusAccepted, StatusDeclined, StatusExpired, StatusRevoked, StatusFailed, StatusBounced}
}

func validStatus(s Status) bool {
	for _, x := range Statuses() {
		if x == s {
			return true
		}
	}
	return false
}
