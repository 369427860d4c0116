package partnerships

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultSuppressAfter is how many hard bounces suppress an address unless
// WithSuppressAfter says otherwise.
const DefaultSuppressAfter = 2

// WithSuppressAfter makes the store suppress an address after n hard bounces
// (n < 1 keeps DefaultSuppressAfter).
func WithSuppressAfter(n int) Option {
	return func(s *Store) {
		if n >= 1 {
			s.suppressAfter = n
		}
	}
}

// Suppression is an address partnerlink no longer sends invitations to, because
// it bounced hard repeatedly.
type Suppression struct {
	Email   string    `json:"email"`
	Bounces int       `json:"bounces"` // hard bounces counted
	Since   time.Time `json:"since"`   // when it was suppressed
	// Reason says why when it is not hard bounces: "complaint: …" for a recipient
	// who reported the mail as spam (SuppressComplaint). Empty: hard bounces.
	Reason string `json:"reason,omitempty"`
}

// RecordHardBounce counts one hard (permanent) bounce of email and returns the
// count so far and whether the address is now suppressed: it is once the count
// reaches the store's threshold (WithSuppressAfter), from then on until
// LiftSuppression. CreateInvitation refuses a suppressed address with
// ErrSuppressed. Each bounceKey (the invitation that bounced) counts once, so
// recording the same bounce again changes nothing.
func (s *Store) RecordHardBounce(ctx context.Context, email, bounceKey string) (count int, suppressed bool, err error) {
	email, err = cleanEmail("email", email)
	if err != nil {
		return 0, false, err
	}
	if bounceKey == "" || len(bounceKey) > 200 || strings.ContainsAny(bounceKey, " \r\n") {
		return 0, false, invalid("bounce_key", "%.80q must be 1 to 200 characters without spaces", bounceKey)
	}
	r, err := s.run(ctx, recordHardBounceScript, []string{hardBouncesKey(), suppressedKey(), countedBouncesKey()},
		email, s.suppressAfter, msString(s.nowMS()), bounceKey)
	if err != nil {
		return 0, false, err
	}
	if len(r.values) != 2 {
		return 0, false, fmt.Errorf("partnerships: record_hard_bounce: bad reply %v", r.values)
	}
	n, ok1 := r.values[0].(int64)
	flag, ok2 := r.values[1].(int64)
	if !ok1 || !ok2 {
		return 0, false, fmt.Errorf("partnerships: record_hard_bounce: bad reply %v", r.values)
	}
	return int(n), flag == 1, nil
}

// Suppressed reports whether email is suppressed.
func (s *Store) Suppressed(ctx context.Context, email string) (bool, error) {
	return readSuppressed(ctx, s.rdb, email)()
}

// Suppressions lists the suppressed addresses, longest suppressed first.
func (s *Store) Suppressions(ctx context.Context) ([]Suppression, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, suppressedKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list suppressions: %w", err)
	}
	out := make([]Suppression, 0, len(zs))
	if len(zs) == 0 {
		return out, nil
	}
	emails := make([]string, len(zs))
	for i, z := range zs {
		emails[i], _ = z.Member.(string)
	}
	counts, err := s.rdb.HMGet(ctx, hardBouncesKey(), emails...).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list suppressions: %w", err)
	}
	reasons, err := s.rdb.HMGet(ctx, suppressionReasonsKey(), emails...).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list suppressions: %w", err)
	}
	for i, z := range zs {
		v, _ := counts[i].(string)
		n, _ := strconv.Atoi(v)
		reason, _ := reasons[i].(string)
		out = append(out, Suppression{Email: emails[i], Bounces: n, Since: time.UnixMilli(int64(z.Score)).UTC(), Reason: reason})
	}
	return out, nil
}

// LiftSuppression lets a suppressed address receive invitations again; its hard
// bounce count starts over. An address that is not suppressed gives an error
// wrapping ErrNotFound and changes nothing.
func (s *Store) LiftSuppression(ctx context.Context, email string) error {
	email, err := cleanEmail("email", email)
	if err != nil {
		return err
	}
	_, err = s.run(ctx, liftSuppressionScript, []string{hardBouncesKey(), suppressedKey(), suppressionReasonsKey()}, email)
	return err
}
