package partnerships

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Reads of single records, written once for two uses: given the client (s.rdb) a
// read runs at once, given a pipeline (redis.Pipeliner) it is only queued. Either
// way it returns a function that, once the answer is there (at once, or after the
// pipeline ran), decodes it exactly as the store's single-record method does, with
// the same errors: so several independent reads cost one round trip and mean the
// same as the methods one after the other (see SendContext, NotifyContext).
//
// A read whose id is malformed sends nothing and reports ErrNotFound.

// hashRead queues or runs HGETALL key; what names the record in errors
// ("partnerships: read <what>: …", "<ErrNotFound>: <what>" when it is missing).
func hashRead(ctx context.Context, c redis.Cmdable, key, kind, id string) func() (map[string]string, error) {
	cmd := c.HGetAll(ctx, key)
	return func() (map[string]string, error) {
		m, err := cmd.Result()
		if err != nil {
			return nil, fmt.Errorf("partnerships: read %s %s: %w", kind, id, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%w: %s %s", ErrNotFound, kind, id)
		}
		return m, nil
	}
}

// failed is a read that sends nothing and reports err.
func failed[T any](err error) func() (T, error) {
	return func() (T, error) {
		var zero T
		return zero, err
	}
}

// readInvitation reads invitation id (Store.Invitation).
func readInvitation(ctx context.Context, c redis.Cmdable, id string) func() (Invitation, error) {
	cust, err := CustomerOfInvitation(id)
	if err != nil {
		return failed[Invitation](err)
	}
	read := hashRead(ctx, c, invitationKey(cust, id), "invitation", id)
	return func() (Invitation, error) {
		m, err := read()
		if err != nil {
			return Invitation{}, err
		}
		return decodeInvitation(m), nil
	}
}

// readPartnerHash reads partner id's hash, which holds the partner, its profile
// and its API key digests (Store.Partner, Store.PartnerProfile).
func readPartnerHash(ctx context.Context, c redis.Cmdable, id string) func() (map[string]string, error) {
	if !validPartnerID(id) {
		return failed[map[string]string](fmt.Errorf("%w: partner %.40q", ErrNotFound, id))
	}
	return hashRead(ctx, c, partnerKey(id), "partner", id)
}

// readPartner reads partner id (Store.Partner).
func readPartner(ctx context.Context, c redis.Cmdable, id string) func() (Partner, error) {
	read := readPartnerHash(ctx, c, id)
	return func() (Partner, error) {
		m, err := read()
		if err != nil {
			return Partner{}, err
		}
		return decodePartner(m), nil
	}
}

// readCustomer reads customer id (Store.Customer).
func readCustomer(ctx context.Context, c redis.Cmdable, id string) func() (Customer, error) {
	if !validCustomerID(id) {
		return failed[Customer](fmt.Errorf("%w: customer %.40q", ErrNotFound, id))
	}
	read := hashRead(ctx, c, customerKey(id), "customer", id)
	return func() (Customer, error) {
		m, err := read()
		if err != nil {
			return Customer{}, err
		}
		return decodeCustomer(m), nil
	}
}

// readSuppressed reads whether email is suppressed (Store.Suppressed).
func readSuppressed(ctx context.Context, c redis.Cmdable, email string) func() (bool, error) {
	email, err := cleanEmail("email", email)
	if err != nil {
		return failed[bool](err)
	}
	cmd := c.ZScore(ctx, suppressedKey(), email)
	return func() (bool, error) {
		switch err := cmd.Err(); {
		case err == nil:
			return true, nil
		case errors.Is(err, redis.Nil):
			return false, nil
		default:
			return false, fmt.Errorf("partnerships: read suppression: %w", err)
		}
	}
}

// readRelationship reads the relationship of a customer with a partner
// (Store.Relationship).
func readRelationship(ctx context.Context, c redis.Cmdable, customerID, partnerID string) func() (Relationship, error) {
	if !validCustomerID(customerID) || !validPartnerID(partnerID) {
		return failed[Relationship](fmt.Errorf("%w: relationship %.40q–%.40q", ErrNotFound, customerID, partnerID))
	}
	read := hashRead(ctx, c, relationshipKey(customerID, partnerID), "relationship", customerID+"–"+partnerID)
	return func() (Relationship, error) {
		m, err := read()
		if err != nil {
			return Relationship{}, err
		}
		return decodeRelationship(m), nil
	}
}

// readUsers reads a customer's users hash and decodes it sorted by email; it does
// not check that the customer exists (CustomerUsers does, first).
func readUsers(ctx context.Context, c redis.Cmdable, customerID string) func() ([]CustomerUser, error) {
	cmd := c.HGetAll(ctx, usersKey(customerID))
	return func() ([]CustomerUser, error) {
		m, err := cmd.Result()
		if err != nil {
			return nil, fmt.Errorf("partnerships: read users of %s: %w", customerID, err)
		}
		out := make([]CustomerUser, 0, len(m))
		for email, raw := range m {
			u, err := decodeUser(customerID, email, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
		slices.SortFunc(out, func(a, b CustomerUser) int { return cmp.Compare(a.Email, b.Email) })
		return out, nil
	}
}

// admins keeps the users who may accept invitations (Store.Admins).
func admins(users []CustomerUser) []CustomerUser {
	return slices.DeleteFunc(users, func(u CustomerUser) bool { return !u.Role.CanAccept() })
}

// readDelivered reads the channels already delivered for a notification task
// (Store.Delivered).
func readDelivered(ctx context.Context, c redis.Cmdable, task string) func() (map[string]bool, error) {
	cmd := c.HGetAll(ctx, deliveredKey(task))
	return func() (map[string]bool, error) {
		m, err := cmd.Result()
		if err != nil {
			return nil, fmt.Errorf("partnerships: read deliveries: %w", err)
		}
		out := make(map[string]bool, len(m))
		for k := range m {
			out[k] = true
		}
		return out, nil
	}
}
