package partnerships

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// IdempotentInvitation returns the id of the invitation an earlier CreateInvitation
// of partnerID for email stored under the idempotency key key, and whether there is
// one. It lets a caller tell "created now" from "created before" (the bulk
// `partnerlink invite --csv` counts them apart). An address no customer knows has
// none.
func (s *Store) IdempotentInvitation(ctx context.Context, partnerID, email, key string) (string, bool, error) {
	user, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrUnknownRecipient) || errors.Is(err, ErrInvalidInput) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	id, err := s.rdb.Get(ctx, idempotencyKey(user.CustomerID, idempotencyDigest(partnerID, key))).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("partnerships: idempotency key of %s: %w", email, err)
	}
	return id, true, nil
}
