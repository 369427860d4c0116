package partnerships

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// A customer's users live in its users hash (email → CustomerUser JSON). The
// directory index pl:{directory}:emails (email → customer id) makes an email unique
// across customers and finds a user's customer. The index is derived: every read
// through it is checked against the customer's users hash, and a disagreement reads
// as "no such user".

// AddCustomerUser adds a user to an existing customer. The email must not belong to
// any customer yet (ErrAlreadyExists).
//
// It spans two hash slots, so it is two atomic steps:
//
//  1. claim_emails points the email at the customer in the directory: the
//     uniqueness check and the claim are one atomic step in the {directory} slot.
//  2. add_user writes the user into the customer's users hash.
//
// If step 2 is refused, the claim is released again (best effort). The remaining
// window: a crash or lost connection after step 1 leaves the email claimed for this
// customer without the user. UserByEmail then answers ErrUnknownRecipient (the
// users hash disagrees), no other customer can take the email (ErrAlreadyExists),
// and calling AddCustomerUser again for the same customer completes the job,
// because claim_emails accepts a claim the customer already holds. When step 2's
// outcome is unknown (a network error rather than a refusal), the claim is kept:
// releasing it although the user was written would let a second customer take
// the same email.
func (s *Store) AddCustomerUser(ctx context.Context, u CustomerUser) error {
	u, err := cleanUser("user", u)
	if err != nil {
		return err
	}
	c, err := s.Customer(ctx, u.CustomerID)
	if err != nil {
		return err
	}
	userJSON, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("partnerships: add customer user: %w", err)
	}
	fresh, err := s.claimEmail(ctx, c, u.Email)
	if err != nil {
		return err
	}
	_, err = s.run(ctx, addUserScript, []string{customerKey(c.ID), usersKey(c.ID)}, c.ID, u.Email, userJSON)
	// Release only a claim made here, and only after a definite refusal. ErrAlreadyExists
	// means the users hash already has the user, so the claim is right as it is.
	if err != nil && fresh && errors.Is(err, ErrNotFound) {
		if _, rerr := s.run(context.WithoutCancel(ctx), releaseEmailScript, []string{emailsKey()}, u.Email, c.ID); rerr != nil {
			err = fmt.Errorf("%w (and releasing the claim on %s failed: %v)", err, u.Email, rerr)
		}
	}
	return err
}

// claimEmail runs claim_emails for one email and reports whether the claim is new
// (false: the customer already held it).
func (s *Store) claimEmail(ctx context.Context, c Customer, email string) (bool, error) {
	r, err := s.run(ctx, claimEmailsScript, []string{emailsKey(), customersKey()},
		c.ID, msString(c.CreatedAt), email)
	if err != nil {
		return false, err
	}
	fresh := r.strings()
	return len(fresh) == 1 && fresh[0] == "1", nil
}

// CustomerUsers returns a customer's users sorted by email.
func (s *Store) CustomerUsers(ctx context.Context, customerID string) ([]CustomerUser, error) {
	if err := s.customerExists(ctx, customerID); err != nil {
		return nil, err
	}
	return readUsers(ctx, s.rdb, customerID)()
}

// Admins returns the customer's users who may accept invitations (CanAccept),
// sorted by email.
func (s *Store) Admins(ctx context.Context, customerID string) ([]CustomerUser, error) {
	users, err := s.CustomerUsers(ctx, customerID)
	if err != nil {
		return nil, err
	}
	return admins(users), nil
}

// UserByEmail finds a user of any customer by email: through the directory index,
// then the customer's users hash, which must agree. ErrUnknownRecipient if none.
func (s *Store) UserByEmail(ctx context.Context, email string) (CustomerUser, error) {
	email, err := cleanEmail("email", email)
	if err != nil {
		return CustomerUser{}, err
	}
	unknown := fmt.Errorf("%w: %s", ErrUnknownRecipient, email)
	customerID, err := s.rdb.HGet(ctx, emailsKey(), email).Result()
	if errors.Is(err, redis.Nil) {
		return CustomerUser{}, unknown
	}
	if err != nil {
		return CustomerUser{}, fmt.Errorf("partnerships: look up %s: %w", email, err)
	}
	if !validCustomerID(customerID) {
		return CustomerUser{}, unknown
	}
	raw, err := s.rdb.HGet(ctx, usersKey(customerID), email).Result()
	if errors.Is(err, redis.Nil) {
		return CustomerUser{}, unknown // index ahead of the users hash: not (yet) a user
	}
	if err != nil {
		return CustomerUser{}, fmt.Errorf("partnerships: look up %s: %w", email, err)
	}
	return decodeUser(customerID, email, raw)
}

func decodeUser(customerID, email, raw string) (CustomerUser, error) {
	var u CustomerUser
	if err := json.Unmarshal([]byte(raw), &u); err != nil {
		return CustomerUser{}, fmt.Errorf("partnerships: user %s of %s: %w", email, customerID, err)
	}
	u.CustomerID, u.Email = customerID, email
	return u, nil
}

// cleanUser validates and normalises a customer user; field names the input in errors.
func cleanUser(field string, u CustomerUser) (CustomerUser, error) {
	email, err := cleanEmail(field+".email", u.Email)
	if err != nil {
		return CustomerUser{}, err
	}
	name, err := cleanOptionalName(field+".name", u.Name)
	if err != nil {
		return CustomerUser{}, err
	}
	if !slices.Contains(CustomerRoles(), u.Role) {
		return CustomerUser{}, fmt.Errorf("%w: %s.role: %q is not one of %v", ErrInvalidRole, field, u.Role, CustomerRoles())
	}
	return CustomerUser{CustomerID: u.CustomerID, Email: email, Name: name, Role: u.Role}, nil
}
