package partnerships

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// CreateCustomer stores a new customer with its first admin user, whose role must
// be global_admin or billing_admin. firstAdmin.CustomerID is ignored and set to
// the new customer's id. The admin's email must not belong to any customer yet
// (ErrAlreadyExists).
//
// Creation spans two hash slots, {<customer id>} and {directory}, so it is two
// atomic steps, ordered so that a crash between them leaves nothing that matters:
//
//  1. create_customer writes the customer and its users hash (one slot).
//  2. claim_emails points the admin's email at the customer in the directory and
//     lists the customer in pl:{directory}:customers (one slot).
//
// The directory is derived data: until step 2 the customer is listed nowhere, its
// email resolves to no one (UserByEmail, Customers) and its id was never returned,
// so a crash in between leaves only unreachable garbage, and a retry creates a fresh
// customer. If step 2 is refused because the email was claimed meanwhile, the
// customer is dropped again (best effort; if that fails it stays unreachable). If
// step 2's outcome is unknown (a network error), the error is returned and the
// customer may in fact be listed; a retry then says ErrAlreadyExists.
func (s *Store) CreateCustomer(ctx context.Context, name, domain string, firstAdmin CustomerUser) (Customer, error) {
	name, err := cleanName("name", name)
	if err != nil {
		return Customer{}, err
	}
	domain, err = cleanDomain("domain", domain)
	if err != nil {
		return Customer{}, err
	}
	c := Customer{ID: newCustomerID(), Name: name, Domain: domain, CreatedAt: s.nowMS()}
	firstAdmin.CustomerID = c.ID
	admin, err := cleanUser("first_admin", firstAdmin)
	if err != nil {
		return Customer{}, err
	}
	if !admin.Role.CanAccept() {
		return Customer{}, fmt.Errorf("%w: first_admin.role: %q, must be %s or %s", ErrInvalidRole, admin.Role, GlobalAdmin, BillingAdmin)
	}

	// Fail early, before writing anything, if the email is taken. claim_emails
	// checks again atomically.
	taken, err := s.rdb.HExists(ctx, emailsKey(), admin.Email).Result()
	if err != nil {
		return Customer{}, fmt.Errorf("partnerships: create customer: %w", err)
	}
	if taken {
		return Customer{}, fmt.Errorf("%w: %s is a user of another customer", ErrAlreadyExists, admin.Email)
	}

	userJSON, err := json.Marshal(admin)
	if err != nil {
		return Customer{}, fmt.Errorf("partnerships: create customer: %w", err)
	}
	if _, err := s.run(ctx, createCustomerScript,
		[]string{customerKey(c.ID), usersKey(c.ID)},
		c.ID, c.Name, c.Domain, msString(c.CreatedAt), admin.Email, userJSON); err != nil {
		return Customer{}, err
	}
	if _, err := s.claimEmail(ctx, c, admin.Email); err != nil {
		if errors.Is(err, ErrAlreadyExists) {
			if _, derr := s.run(context.WithoutCancel(ctx), dropCustomerScript,
				[]string{customerKey(c.ID), usersKey(c.ID)}, c.ID); derr != nil {
				err = fmt.Errorf("%w (and dropping the unlisted customer %s failed: %v)", err, c.ID, derr)
			}
		}
		return Customer{}, err
	}
	return c, nil
}

// Customer returns the customer with the given id.
func (s *Store) Customer(ctx context.Context, id string) (Customer, error) {
	return readCustomer(ctx, s.rdb, id)()
}

// Customers returns every customer listed in the directory, oldest first.
func (s *Store) Customers(ctx context.Context) ([]Customer, error) {
	ids, err := s.rdb.ZRange(ctx, customersKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list customers: %w", err)
	}
	maps, err := s.hashes(ctx, ids, customerKey)
	if err != nil {
		return nil, fmt.Errorf("partnerships: list customers: %w", err)
	}
	out := make([]Customer, 0, len(maps))
	for _, m := range maps {
		out = append(out, decodeCustomer(m))
	}
	return out, nil
}

// customerExists checks a customer id before a per-customer read.
func (s *Store) customerExists(ctx context.Context, id string) error {
	if !validCustomerID(id) {
		return fmt.Errorf("%w: customer %.40q", ErrNotFound, id)
	}
	n, err := s.rdb.Exists(ctx, customerKey(id)).Result()
	if err != nil {
		return fmt.Errorf("partnerships: read customer %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: customer %s", ErrNotFound, id)
	}
	return nil
}

func decodeCustomer(m map[string]string) Customer {
	return Customer{
		ID:        m["id"],
		Name:      m["name"],
		Domain:    m["domain"],
		CreatedAt: parseMS(m["created_at"]),
	}
}
