package partnerships

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SessionTTL is how long a customer portal session lasts.
const SessionTTL = 8 * time.Hour

// Session is a signed-in customer administrator in the portal.
type Session struct {
	ID         string // 32 random bytes, base64url: the cookie's value; only its SHA-256 is stored
	CustomerID string
	Email      string
	Role       Role // the role when the session started; every change re-checks the store
	CreatedAt  time.Time
}

// StartSessionInput starts a session for a customer's admin.
type StartSessionInput struct {
	Email string
	// SignInTokenID, when set, is the sign-in link's token id: it is consumed in the
	// same step (ErrTokenUsed when it was already), and remembered until
	// SignInExpires, after which the token itself no longer verifies.
	SignInTokenID string
	SignInExpires time.Time
}

// StartSession starts a portal session for in.Email, who must be a global or
// billing administrator of a customer (ErrNotAdmin; ErrUnknownRecipient when no
// customer has the address). With a sign-in token id the token is consumed in the
// same atomic step: a second use gives ErrTokenUsed and starts nothing.
func (s *Store) StartSession(ctx context.Context, in StartSessionInput) (Session, error) {
	u, err := s.UserByEmail(ctx, in.Email)
	if err != nil {
		return Session{}, err
	}
	if !u.Role.CanAccept() {
		return Session{}, fmt.Errorf("%w: %s has role %s", ErrNotAdmin, u.Email, u.Role)
	}
	now := s.nowMS()
	markerTTL := in.SignInExpires.Sub(now)
	if in.SignInTokenID != "" {
		if len(in.SignInTokenID) != 32 || strings.IndexFunc(in.SignInTokenID, notToken) >= 0 {
			return Session{}, invalid("sign_in_token_id", "%.40q is not a token id", in.SignInTokenID)
		}
		if markerTTL <= 0 {
			return Session{}, invalid("sign_in_expires", "%s has passed", in.SignInExpires)
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	sess := Session{ID: base64.RawURLEncoding.EncodeToString(b), CustomerID: u.CustomerID, Email: u.Email, Role: u.Role, CreatedAt: now}
	_, err = s.run(ctx, startSessionScript,
		[]string{usedSignInKey(in.SignInTokenID), sessionKey(sessionDigest(sess.ID))},
		in.SignInTokenID, max(markerTTL.Milliseconds(), 1), SessionTTL.Milliseconds(),
		sess.CustomerID, sess.Email, string(sess.Role), msString(now))
	if err != nil {
		return Session{}, err
	}
	return sess, nil
}

// Session returns the live session with id; ErrNotFound when there is none (ended,
// expired, or never started).
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	if len(id) != 43 {
		return Session{}, fmt.Errorf("%w: session", ErrNotFound)
	}
	m, err := s.rdb.HGetAll(ctx, sessionKey(sessionDigest(id))).Result()
	if err != nil {
		return Session{}, fmt.Errorf("partnerships: read session: %w", err)
	}
	if len(m) == 0 || !validCustomerID(m["customer_id"]) {
		return Session{}, fmt.Errorf("%w: session", ErrNotFound)
	}
	return Session{ID: id, CustomerID: m["customer_id"], Email: m["email"], Role: Role(m["role"]), CreatedAt: parseMS(m["created_at"])}, nil
}

// EndSession ends the session with id (signing out). Ending a session that does
// not exist is not an error.
func (s *Store) EndSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, sessionKey(sessionDigest(id))).Err(); err != nil {
		return fmt.Errorf("partnerships: end session: %w", err)
	}
	return nil
}

func sessionDigest(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// ActorInput names who changes something in the portal, and from where.
type ActorInput struct {
	CustomerID string
	PartnerID  string
	UserEmail  string // a global or billing administrator of the customer, checked in the script
	IP         string
	UserAgent  string
}

func (a ActorInput) clean() (ActorInput, error) {
	if !validCustomerID(a.CustomerID) || !validPartnerID(a.PartnerID) {
		return ActorInput{}, fmt.Errorf("%w: relationship %.40q–%.40q", ErrNotFound, a.CustomerID, a.PartnerID)
	}
	email, err := cleanEmail("user_email", a.UserEmail)
	if err != nil {
		return ActorInput{}, err
	}
	ip, err := cleanIP(a.IP)
	if err != nil {
		return ActorInput{}, err
	}
	a.UserEmail, a.IP = email, ip
	a.UserAgent = cleanUserAgent(a.UserAgent)
	return a, nil
}

// RemoveRoles removes every role a partner holds in the customer's tenant (global
// admin, helpdesk admin and any other), in one atomic step that also audits
// roles.removed. The relationship and its types stay. Refusals, before anything is
// written: ErrNotAdmin (in.UserEmail is not a global or billing admin of the
// customer, read at this moment), ErrNotFound (no relationship), ErrNoRoles.
// It returns the roles removed and the relationship after.
func (s *Store) RemoveRoles(ctx context.Context, in ActorInput) ([]Role, Relationship, error) {
	in, err := in.clean()
	if err != nil {
		return nil, Relationship{}, err
	}
	now := s.nowMS()
	c := in.CustomerID
	r, err := s.run(ctx, removeRolesScript,
		[]string{usersKey(c), relationshipKey(c, in.PartnerID), auditKey(c)},
		in.UserEmail, msString(now), in.PartnerID, c, in.IP, in.UserAgent)
	if err != nil {
		return nil, Relationship{}, err
	}
	v := r.strings()
	if len(v) != 3 {
		return nil, Relationship{}, fmt.Errorf("partnerships: remove roles: unexpected reply %q", v)
	}
	rel, err := s.Relationship(ctx, c, in.PartnerID)
	if err != nil {
		return nil, Relationship{}, err
	}
	return splitList[Role](v[0]), rel, nil
}

// SignAgreementInput is an admin signing the customer agreement for an existing
// relationship, without an invitation.
type SignAgreementInput struct {
	ActorInput
	Agreement AgreementRef
}

// maxStaleRetries bounds re-reads when a relationship's acceptance changes between
// the read and the script (a concurrent signature).
const maxStaleRetries = 3

// SignAgreement records the customer agreement signed for the relationship with
// in.PartnerID (the same legal record as Accept: version, SHA-256 of the text
// shown, user and role, time, IP, user agent; no invitation), points the
// relationship at it and audits agreement.signed, in one atomic step. Refusals,
// before anything is written: ErrNotAdmin, ErrNotFound (no relationship),
// ErrAlreadySigned (its signature is of this agreement version).
func (s *Store) SignAgreement(ctx context.Context, in SignAgreementInput) (Acceptance, error) {
	actor, err := in.ActorInput.clean()
	if err != nil {
		return Acceptance{}, err
	}
	agreement, err := cleanAgreement(in.Agreement)
	if err != nil {
		return Acceptance{}, err
	}
	c, p := actor.CustomerID, actor.PartnerID
	for range maxStaleRetries {
		rel, err := s.Relationship(ctx, c, p)
		if err != nil {
			return Acceptance{}, err
		}
		now := s.nowMS()
		acc := Acceptance{
			ID: newAcceptanceID(), CustomerID: c, PartnerID: p,
			AgreementVersion: agreement.Version, AgreementLocale: agreement.Locale, AgreementSHA256: agreement.SHA256,
			UserEmail: actor.UserEmail, AcceptedAt: now, IP: actor.IP, UserAgent: actor.UserAgent,
		}
		cur := acceptanceKey(c, acc.ID)
		if rel.AcceptanceID != "" {
			cur = acceptanceKey(c, rel.AcceptanceID)
		}
		r, err := s.run(ctx, signAgreementScript,
			[]string{usersKey(c), relationshipKey(c, p), cur, acceptanceKey(c, acc.ID), acceptancesKey(c), auditKey(c)},
			actor.UserEmail, msString(now), acc.ID, p, c, agreement.Version, agreement.Locale, agreement.SHA256,
			actor.IP, actor.UserAgent, rel.AcceptanceID)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return Acceptance{}, err
		}
		v := r.strings()
		if len(v) != 1 {
			return Acceptance{}, fmt.Errorf("partnerships: sign agreement: unexpected reply %q", v)
		}
		acc.UserRole = Role(v[0])
		return acc, nil
	}
	return Acceptance{}, fmt.Errorf("partnerships: sign agreement %s–%s: the relationship kept changing; try again", c, p)
}

// RequestAgreementInput is a partner asking a customer to sign the agreement.
type RequestAgreementInput struct {
	CustomerID, PartnerID string
	Version               string // the current agreement version
	IP, UserAgent         string
}

// RequestAgreement records (audits agreement.requested) that a partner asked the
// customer to sign agreement version in.Version. Refusals, changing nothing:
// ErrNotFound (no relationship), ErrAlreadySigned (signed for this version).
func (s *Store) RequestAgreement(ctx context.Context, in RequestAgreementInput) error {
	if !validCustomerID(in.CustomerID) || !validPartnerID(in.PartnerID) {
		return fmt.Errorf("%w: relationship %.40q–%.40q", ErrNotFound, in.CustomerID, in.PartnerID)
	}
	if in.Version == "" || len(in.Version) > maxVersionBytes || strings.IndexFunc(in.Version, notToken) >= 0 {
		return invalid("version", "%.80q is not an agreement version", in.Version)
	}
	ip, err := cleanIP(in.IP)
	if err != nil {
		return err
	}
	ua := cleanUserAgent(in.UserAgent)
	c, p := in.CustomerID, in.PartnerID
	for range maxStaleRetries {
		rel, err := s.Relationship(ctx, c, p)
		if err != nil {
			return err
		}
		cur := relationshipKey(c, p) // any key of the slot when there is no acceptance
		if rel.AcceptanceID != "" {
			cur = acceptanceKey(c, rel.AcceptanceID)
		}
		_, err = s.run(ctx, requestAgreementScript,
			[]string{relationshipKey(c, p), cur, auditKey(c)},
			p, msString(s.nowMS()), in.Version, rel.AcceptanceID, ip, ua)
		if errors.Is(err, errStale) {
			continue
		}
		return err
	}
	return fmt.Errorf("partnerships: request agreement %s–%s: the relationship kept changing; try again", c, p)
}

// PartnerHistory returns the customer's audit events about one partner, newest
// first, searching the newest limit events of the customer's audit stream.
func (s *Store) PartnerHistory(ctx context.Context, customerID, partnerID string, limit int) ([]AuditEvent, error) {
	events, err := s.Audit(ctx, customerID, limit)
	if err != nil {
		return nil, err
	}
	out := events[:0]
	for _, ev := range events {
		if ev.PartnerID == partnerID {
			out = append(out, ev)
		}
	}
	return out, nil
}

// SignInUsed reports whether the sign-in link with token id tokenID was used (and
// its token has not yet expired). It only reads.
func (s *Store) SignInUsed(ctx context.Context, tokenID string) (bool, error) {
	if len(tokenID) != 32 || strings.IndexFunc(tokenID, notToken) >= 0 {
		return false, nil
	}
	n, err := s.rdb.Exists(ctx, usedSignInKey(tokenID)).Result()
	if err != nil {
		return false, fmt.Errorf("partnerships: read sign-in link: %w", err)
	}
	return n == 1, nil
}
