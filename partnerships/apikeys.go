package partnerships

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// API keys are "pl_" and 32 base32 characters (160 random bits). The store keeps only
// their SHA-256: in the index pl:{partners}:apikeys (digest → partner id) and in the
// partner's api_keys list.

func apiKeyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// AddAPIKey gives a partner another API key and returns it; it is shown only here.
func (s *Store) AddAPIKey(ctx context.Context, partnerID string) (string, error) {
	if !validPartnerID(partnerID) {
		return "", fmt.Errorf("%w: partner %.40q", ErrNotFound, partnerID)
	}
	key := newAPIKey()
	if _, err := s.run(ctx, addAPIKeyScript, []string{partnerKey(partnerID), apiKeysKey()},
		partnerID, apiKeyDigest(key)); err != nil {
		return "", err
	}
	return key, nil
}

// PartnerByAPIKey returns the partner an API key belongs to, or ErrNotFound.
//
// The index is looked up by the key's digest, which a caller cannot steer, and the
// digest is then compared in constant time with the ones the partner record holds,
// so the index and the partner must agree.
func (s *Store) PartnerByAPIKey(ctx context.Context, apiKey string) (Partner, error) {
	notFound := fmt.Errorf("%w: unknown API key", ErrNotFound)
	if !validAPIKey(apiKey) {
		return Partner{}, notFound
	}
	digest := apiKeyDigest(apiKey)
	id, err := s.rdb.HGet(ctx, apiKeysKey(), digest).Result()
	if errors.Is(err, redis.Nil) {
		return Partner{}, notFound
	}
	if err != nil {
		return Partner{}, fmt.Errorf("partnerships: look up API key: %w", err)
	}
	p, digests, err := s.partner(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Partner{}, notFound
	}
	if err != nil {
		return Partner{}, err
	}
	match := 0
	for _, d := range digests {
		match |= subtle.ConstantTimeCompare([]byte(d), []byte(digest))
	}
	if match != 1 {
		return Partner{}, notFound
	}
	return p, nil
}
