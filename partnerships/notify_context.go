package partnerships

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// NotifyRead says what a notification about a partner and a customer reads.
type NotifyRead struct {
	PartnerID    string
	CustomerID   string
	InvitationID string // "": no invitation is read
	Task         string // the notification task, whose deliveries are read (Store.Delivered)
	Relationship bool   // read the relationship of the customer with the partner
	Admins       bool   // read the customer's admins
}

// NotifyContext is what NotifyContext read. Each part carries the error its own
// method would have returned (a part not asked for is zero, without error), so a
// caller can check them in the order it always did.
type NotifyContext struct {
	Profile    PartnerProfile // Store.PartnerProfile(PartnerID)
	Partner    Partner        // Store.Partner(PartnerID): the same hash as Profile
	PartnerErr error          // of both

	Customer    Customer // Store.Customer(CustomerID)
	CustomerErr error

	Invitation    Invitation // Store.Invitation(InvitationID)
	InvitationErr error

	Relationship    Relationship // Store.Relationship(CustomerID, PartnerID)
	RelationshipErr error

	Admins    []CustomerUser // Store.Admins(CustomerID)
	AdminsErr error

	Delivered    map[string]bool // Store.Delivered(Task)
	DeliveredErr error
}

// NotifyContext reads everything r asks for in one round trip (one pipeline; on a
// Redis Cluster, one per node: the partner's slot, the customer's and the
// notifications' {notify} slot).
func (s *Store) NotifyContext(ctx context.Context, r NotifyRead) NotifyContext {
	var (
		partner      func() (map[string]string, error)
		customer     func() (Customer, error)
		inv          func() (Invitation, error)
		relationship func() (Relationship, error)
		users        func() ([]CustomerUser, error)
		delivered    func() (map[string]bool, error)
	)
	// Per-command errors are read below; the pipeline's own error is one of them.
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		partner = readPartnerHash(ctx, p, r.PartnerID)
		customer = readCustomer(ctx, p, r.CustomerID)
		if r.InvitationID != "" {
			inv = readInvitation(ctx, p, r.InvitationID)
		}
		if r.Relationship {
			relationship = readRelationship(ctx, p, r.CustomerID, r.PartnerID)
		}
		if r.Admins && validCustomerID(r.CustomerID) {
			users = readUsers(ctx, p, r.CustomerID)
		}
		delivered = readDelivered(ctx, p, r.Task)
		return nil
	})
	var nc NotifyContext
	if m, err := partner(); err != nil {
		nc.PartnerErr = err
	} else {
		nc.Profile, nc.Partner = decodeProfile(m), decodePartner(m)
	}
	nc.Customer, nc.CustomerErr = customer()
	if inv != nil {
		nc.Invitation, nc.InvitationErr = inv()
	}
	if relationship != nil {
		nc.Relationship, nc.RelationshipErr = relationship()
	}
	if r.Admins {
		// Store.Admins checks that the customer exists before reading its users;
		// the customer's hash read alongside answers that.
		if nc.CustomerErr != nil {
			nc.AdminsErr = nc.CustomerErr
		} else if all, err := users(); err != nil {
			nc.AdminsErr = err
		} else {
			nc.Admins = admins(all)
		}
	}
	nc.Delivered, nc.DeliveredErr = delivered()
	return nc
}
