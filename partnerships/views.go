package partnerships

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Reads for the customer's pages, each in as few round trips as the data allows:
// what one step reads names what the next reads, so only the steps are sequential.

// InvitationAndCustomer returns the invitation with the given id and its customer,
// read in one round trip (both live in the customer's hash slot). Errors about
// the invitation are those of Invitation, with a zero Invitation. When only the
// customer is missing or unreadable, the invitation is returned with the error
// (wrapping ErrNotFound when it is missing): a caller may judge the invitation first.
func (s *Store) InvitationAndCustomer(ctx context.Context, id string) (Invitation, Customer, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, Customer{}, err
	}
	var inv func() (Invitation, error)
	var cust func() (Customer, error)
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { // errors are each read's
		inv, cust = readInvitation(ctx, p, id), readCustomer(ctx, p, c)
		return nil
	})
	i, err := inv()
	if err != nil {
		return Invitation{}, Customer{}, err
	}
	cu, err := cust()
	return i, cu, err
}

// PartnerAndUser returns a partner and the user with email of a customer, read in
// one round trip. A user is read from the customer's own users hash, which is what
// Accept and Decline check: a zero CustomerUser (Email "") when the customer has
// no user with that email (or email is malformed). A missing partner is an error
// wrapping ErrNotFound.
func (s *Store) PartnerAndUser(ctx context.Context, partnerID, customerID, email string) (Partner, CustomerUser, error) {
	email, emailErr := cleanEmail("email", email)
	var partner func() (Partner, error)
	var userCmd *redis.StringCmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { // errors are each read's
		partner = readPartner(ctx, p, partnerID)
		if emailErr == nil && validCustomerID(customerID) {
			userCmd = p.HGet(ctx, usersKey(customerID), email)
		}
		return nil
	})
	pa, err := partner()
	if err != nil {
		return Partner{}, CustomerUser{}, err
	}
	if userCmd == nil {
		return pa, CustomerUser{}, nil
	}
	raw, err := userCmd.Result()
	if errors.Is(err, redis.Nil) {
		return pa, CustomerUser{}, nil
	}
	if err != nil {
		return Partner{}, CustomerUser{}, fmt.Errorf("partnerships: look up %s: %w", email, err)
	}
	u, err := decodeUser(customerID, email, raw)
	if err != nil {
		return Partner{}, CustomerUser{}, err
	}
	return pa, u, nil
}

// RelationshipView is one row of a customer's partner list: a relationship with
// its partner and the agreement acceptance it names. A partner or acceptance that
// could not be read is left zero (ID ""): the row is shown without it.
type RelationshipView struct {
	Relationship Relationship
	Partner      Partner
	Acceptance   Acceptance
}

// CustomerPartners returns a customer and its relationships, oldest first (as
// Relationships), each with its partner and acceptance, in three round trips
// however many there are: the customer and its partner ids; the relationships and
// partners; their acceptances. ErrNotFound when there is no such customer.
func (s *Store) CustomerPartners(ctx context.Context, customerID string) (Customer, []RelationshipView, error) {
	if !validCustomerID(customerID) {
		return Customer{}, nil, fmt.Errorf("%w: customer %.40q", ErrNotFound, customerID)
	}
	var custCmd *redis.MapStringStringCmd
	var idsCmd *redis.StringSliceCmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		custCmd = p.HGetAll(ctx, customerKey(customerID))
		idsCmd = p.ZRange(ctx, customerPartnersKey(customerID), 0, -1)
		return nil
	})
	m, err := custCmd.Result()
	if err != nil {
		return Customer{}, nil, fmt.Errorf("partnerships: read customer %s: %w", customerID, err)
	}
	if len(m) == 0 {
		return Customer{}, nil, fmt.Errorf("%w: customer %s", ErrNotFound, customerID)
	}
	ids, err := idsCmd.Result()
	if err != nil {
		return Customer{}, nil, fmt.Errorf("partnerships: list relationships of %s: %w", customerID, err)
	}
	views, err := s.relationshipViews(ctx, customerID, ids, nil, nil)
	if err != nil {
		return Customer{}, nil, err
	}
	return decodeCustomer(m), views, nil
}

// AfterAccept is what the page after an accept shows, and the session it started.
type AfterAccept struct {
	Views []RelationshipView // the customer's partner list, as CustomerPartners
	// Session is the accepting admin's new portal session; SessionErr says why
	// none was started (the list is shown all the same).
	Session    Session
	SessionErr error
}

// ListAfterAccept reads the customer's partner list right after a successful
// AcceptDetailed and, with startSession, starts a portal session for the admin who
// accepted (the accept script has just found them a global or billing admin of the
// customer, so nothing is read first). One round trip, and one more for the
// acceptances of the customer's other relationships when it has any.
func (s *Store) ListAfterAccept(ctx context.Context, a Accepted, startSession bool) (AfterAccept, error) {
	var out AfterAccept
	var sessCmd *redis.Cmd
	var sessKeys []string
	var sessArgs []any
	if startSession {
		acc := a.Acceptance
		u := CustomerUser{CustomerID: acc.CustomerID, Email: acc.UserEmail, Role: acc.UserRole}
		if u.Role.CanAccept() {
			out.Session, sessKeys, sessArgs = s.newSession(u)
		} else {
			out.SessionErr = fmt.Errorf("%w: %s has role %s", ErrNotAdmin, u.Email, u.Role)
		}
	}
	known := &RelationshipView{Relationship: a.Relationship, Acceptance: a.Acceptance}
	views, err := s.relationshipViews(ctx, a.Acceptance.CustomerID, a.PartnerIDs, known, func(p redis.Pipeliner) {
		if sessKeys != nil {
			sessCmd = s.queueScript(ctx, p, startSessionScript, sessKeys, sessArgs...)
		}
	})
	if sessCmd != nil {
		if _, serr := s.scriptReply(ctx, sessCmd, startSessionScript, sessKeys, sessArgs...); serr != nil {
			out.Session, out.SessionErr = Session{}, serr
		}
	}
	if err != nil {
		return out, err
	}
	out.Views = views
	return out, nil
}

// newSession is a new session of user u (an admin) with the keys and arguments
// of the start_session script that stores it.
func (s *Store) newSession(u CustomerUser) (Session, []string, []any) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	now := s.nowMS()
	sess := Session{ID: base64.RawURLEncoding.EncodeToString(b), CustomerID: u.CustomerID, Email: u.Email, Role: u.Role, CreatedAt: now}
	return sess, []string{usedSignInKey(""), sessionKey(sessionDigest(sess.ID))},
		[]any{"", int64(1), SessionTTL.Milliseconds(), sess.CustomerID, sess.Email, string(sess.Role), msString(now)}
}

// relationshipViews reads the relationships of customerID with the partners ids
// (in that order), their partners and then their acceptances. known, when set, is
// a relationship and acceptance the caller holds (just written): they are not read
// again. also queues more commands into the first round trip.
func (s *Store) relationshipViews(ctx context.Context, customerID string, ids []string, known *RelationshipView,
	also func(redis.Pipeliner)) ([]RelationshipView, error) {
	ids = validPartnerIDs(ids)
	relCmds := make([]*redis.MapStringStringCmd, len(ids))
	partnerCmds := make([]*redis.MapStringStringCmd, len(ids))
	if len(ids) > 0 || also != nil {
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if also != nil {
				also(p)
			}
			for i, id := range ids {
				if known == nil || id != known.Relationship.PartnerID {
					relCmds[i] = p.HGetAll(ctx, relationshipKey(customerID, id))
				}
				partnerCmds[i] = p.HGetAll(ctx, partnerKey(id))
			}
			return nil
		})
	}
	views := make([]RelationshipView, 0, len(ids))
	reads := 0 // acceptances to read
	for i := range ids {
		var v RelationshipView
		if relCmds[i] == nil {
			v = *known
		} else {
			m, err := relCmds[i].Result()
			if err != nil {
				return nil, fmt.Errorf("partnerships: list relationships of %s: %w", customerID, err)
			}
			if len(m) == 0 {
				continue // listed, but gone (ended): as Relationships, leave it out
			}
			v.Relationship = decodeRelationship(m)
			if validAcceptanceID(v.Relationship.AcceptanceID) {
				reads++
			}
		}
		if m := partnerCmds[i].Val(); len(m) > 0 {
			v.Partner = decodePartner(m)
		}
		views = append(views, v)
	}
	if reads == 0 {
		return views, nil
	}
	accCmds := make([]*redis.MapStringStringCmd, len(views))
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, v := range views {
			if v.Acceptance.ID == "" && validAcceptanceID(v.Relationship.AcceptanceID) {
				accCmds[i] = p.HGetAll(ctx, acceptanceKey(customerID, v.Relationship.AcceptanceID))
			}
		}
		return nil
	})
	for i, cmd := range accCmds {
		if cmd == nil {
			continue
		}
		if m := cmd.Val(); len(m) > 0 {
			views[i].Acceptance = decodeAcceptance(m)
		}
	}
	return views, nil
}

// validPartnerIDs returns ids without any that is not a partner id (a corrupt zset
// member must not pick a key).
func validPartnerIDs(ids []string) []string {
	invalid := func(id string) bool { return !validPartnerID(id) }
	if !slices.ContainsFunc(ids, invalid) {
		return ids
	}
	return slices.DeleteFunc(slices.Clone(ids), invalid)
}
