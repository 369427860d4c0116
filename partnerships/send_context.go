package partnerships

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// SendContext is what sending an invitation's email reads: the invitation, its
// partner and customer, and whether its address is suppressed. Each part carries
// the error its own method would have returned, so a caller can check them in the
// order it always did.
type SendContext struct {
	Invitation Invitation

	Partner       Partner // Store.Partner(Invitation.PartnerID)
	PartnerErr    error
	Customer      Customer // Store.Customer(Invitation.CustomerID)
	CustomerErr   error
	Suppressed    bool // Store.Suppressed(Invitation.Email)
	SuppressedErr error

	// With an Attempt asked for: what RecordSendAttempt returned, run in the same
	// round trip (AttemptRun reports that it ran).
	Attempt    SendAttemptRecord
	AttemptErr error
	AttemptRun bool
}

// Attempt asks SendContext to record a send attempt as well (RecordSendAttempt),
// for the Message-ID made for the invitation's Sends-th email. When the
// invitation has been resent since, nothing is recorded and the record's state
// is SendStale.
type Attempt struct {
	MessageID string
	Sends     int
}

// SendContext reads invitation id with its partner, customer and suppression in
// one round trip (one pipeline; on a Redis Cluster, one per node: the invitation
// and customer are in the customer's slot, the partner and suppressions in theirs).
// partnerID and email are what the caller believes the invitation's are (a send
// task carries them); the customer follows from the id. When they are empty or no
// longer match the stored invitation, the parts read with them are read again,
// with the invitation's own values, in a second round trip: the result is always
// that of the single-record methods.
//
// A missing or malformed invitation returns an error wrapping ErrNotFound, as
// Store.Invitation does; errors reading the other parts are in their fields.
//
// With attempt given (its MessageID not empty), the same round trip records the
// send attempt, after the reads (see Attempt).
func (s *Store) SendContext(ctx context.Context, id, partnerID, email string, attempt ...Attempt) (SendContext, error) {
	customerID, err := CustomerOfInvitation(id)
	if err != nil {
		return SendContext{}, err
	}
	var at Attempt
	if len(attempt) > 0 && attempt[0].MessageID != "" {
		if at = attempt[0]; at.Sends < 1 {
			return SendContext{}, invalid("sends", "%d is not a send number", at.Sends)
		}
		if err := checkMessageID(at.MessageID); err != nil {
			return SendContext{}, err
		}
	}
	var (
		inv        func() (Invitation, error)
		partner    func() (Partner, error)
		customer   func() (Customer, error)
		suppressed func() (bool, error)
		record     *redis.Cmd
	)
	attemptKeys := []string{invitationKey(customerID, id)}
	attemptArgs := []any{id, at.MessageID, msString(s.nowMS()), strconv.Itoa(at.Sends)}
	// Per-command errors are read below; the pipeline's own error is one of them.
	// An empty or malformed partner id or address sends nothing (see reads.go).
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		inv = readInvitation(ctx, p, id)
		customer = readCustomer(ctx, p, customerID)
		partner = readPartner(ctx, p, partnerID)
		suppressed = readSuppressed(ctx, p, email)
		if at.MessageID != "" {
			record = s.queueScript(ctx, p, sendAttemptScript, attemptKeys, attemptArgs...)
		}
		return nil
	})
	var sc SendContext
	if sc.Invitation, err = inv(); err != nil {
		return SendContext{}, err
	}
	if record != nil {
		sc.AttemptRun = true
		sc.Attempt, sc.AttemptErr = attemptRecord(s.scriptReply(ctx, record, sendAttemptScript, attemptKeys, attemptArgs...))
	}
	// What was read with a guess that turned out wrong (or none) is read again.
	if partnerID != sc.Invitation.PartnerID || email != sc.Invitation.Email || customerID != sc.Invitation.CustomerID {
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if partnerID != sc.Invitation.PartnerID {
				partner = readPartner(ctx, p, sc.Invitation.PartnerID)
			}
			if email != sc.Invitation.Email {
				suppressed = readSuppressed(ctx, p, sc.Invitation.Email)
			}
			if customerID != sc.Invitation.CustomerID {
				customer = readCustomer(ctx, p, sc.Invitation.CustomerID)
			}
			return nil
		})
	}
	sc.Partner, sc.PartnerErr = partner()
	sc.Customer, sc.CustomerErr = customer()
	sc.Suppressed, sc.SuppressedErr = suppressed()
	return sc, nil
}
