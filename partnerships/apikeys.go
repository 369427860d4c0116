package partnerships

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// API keys are "pl_" and 32 base32 characters (160 random bits). The store keeps only
// their SHA-256: in the index pl:{partners}:apikeys (digest → partner id) and in the
// partner's api_keys list.
//
// The partner's api_keys list decides: a key is good when the partner record lists
// its digest. The index only finds the record, and what it says for a digest never
// changes (a digest is added once, with its key, and never given to another
// partner), so a Store remembers the partner ids of the digests it has seen
// succeed (apiKeyPartners) and reads only the partner record for them: one round
// trip instead of two. Taking a key back must therefore take it off the partner's
// list; removing it from the index alone would not stop a running process.

func apiKeyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ValidAPIKey reports whether key has the form of an API key (it may still be
// unknown). It reads nothing.
func ValidAPIKey(key string) bool { return validAPIKey(key) }

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
// so the index and the partner must agree. A key seen before costs one round trip
// (the partner record), a new one two.
func (s *Store) PartnerByAPIKey(ctx context.Context, apiKey string) (Partner, error) {
	p, _, err := s.PartnerByAPIKeyWith(ctx, apiKey, WithAPIKey{})
	return p, err
}

// WithAPIKey is what else PartnerByAPIKeyWith does in the round trip that reads
// the key's partner.
type WithAPIKey struct {
	// RecipientEmail, when set, makes the reads CreateInvitation needs about this
	// address (see Recipient). Pass the Recipient in NewInvitation.Recipient.
	RecipientEmail string

	// Also, when set, adds commands about the partner to the pipeline that reads
	// its record, where the partner's id is known but the key not yet checked
	// against the record: they run even when the key then turns out wrong (for a
	// key seen before, only if the record no longer lists it). The pipeline is of
	// the store's Redis client (Client).
	Also func(p redis.Pipeliner, partnerID string)
}

// PartnerByAPIKeyWith is PartnerByAPIKey that makes the reads and commands of
// with in the same round trip. It returns a nil Recipient with any error, and
// when with.RecipientEmail is empty or too long to be an address.
func (s *Store) PartnerByAPIKeyWith(ctx context.Context, apiKey string, with WithAPIKey) (Partner, *Recipient, error) {
	notFound := fmt.Errorf("%w: unknown API key", ErrNotFound)
	if !validAPIKey(apiKey) {
		return Partner{}, nil, notFound
	}
	digest := apiKeyDigest(apiKey)
	email := strings.ToLower(strings.TrimSpace(with.RecipientEmail)) // cleanEmail's form; CreateInvitation checks the rest
	withRecipient := email != "" && len(email) <= maxEmailBytes

	var rr recipientReads
	id, known := s.apiKeyPartners.get(digest)
	if !known {
		// The index first; the recipient's reads ride along.
		var idCmd *redis.StringCmd
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			idCmd = p.HGet(ctx, apiKeysKey(), digest)
			if withRecipient {
				rr.queue(ctx, p, email)
			}
			return nil
		}) // each command's own error is looked at; a recipient read's by CreateInvitation
		if err := idCmd.Err(); errors.Is(err, redis.Nil) {
			return Partner{}, nil, notFound
		} else if err != nil {
			return Partner{}, nil, fmt.Errorf("partnerships: look up API key: %w", err)
		}
		id = idCmd.Val()
		if !validPartnerID(id) {
			return Partner{}, nil, notFound
		}
	}
	// Only the fields a Partner has and the key list: the hash also holds the
	// directory profile, which authentication does not need.
	var partnerCmd *redis.SliceCmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		partnerCmd = p.HMGet(ctx, partnerKey(id), partnerAuthFields...)
		if withRecipient && known {
			rr.queue(ctx, p, email)
		}
		if with.Also != nil {
			with.Also(p, id)
		}
		return nil
	})
	v, err := partnerCmd.Result()
	if err != nil {
		return Partner{}, nil, fmt.Errorf("partnerships: read partner %s: %w", id, err)
	}
	m := make(map[string]string, len(partnerAuthFields)) // a field the hash lacks (all of them: no partner) stays out
	for i, field := range partnerAuthFields[:min(len(v), len(partnerAuthFields))] {
		if val, ok := v[i].(string); ok {
			m[field] = val
		}
	}
	match, want := 0, []byte(digest)
	for _, d := range splitList[string](m["api_keys"]) {
		match |= subtle.ConstantTimeCompare([]byte(d), want)
	}
	if match != 1 {
		return Partner{}, nil, notFound
	}
	if !known {
		s.apiKeyPartners.put(digest, id)
	}
	var rc *Recipient
	if withRecipient {
		rc = rr.recipient(id)
	}
	return decodePartner(m), rc, nil
}

// partnerAuthFields are what authentication reads of a partner's hash: the
// fields decodePartner uses and the key list, not the directory profile.
var partnerAuthFields = []string{"id", "name", "contact_email", "created_at", "api_keys"}

// maxAPIKeyPartners bounds how many digests a Store remembers (about 150 bytes
// each); when full it starts over.
const maxAPIKeyPartners = 10000

// apiKeyPartnerCache remembers the partner id of API key digests that
// PartnerByAPIKey found good. The zero value is empty and ready.
type apiKeyPartnerCache struct {
	mu sync.RWMutex
	m  map[string]string // digest → partner id
}

func (c *apiKeyPartnerCache) get(digest string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.m[digest]
	return id, ok
}

func (c *apiKeyPartnerCache) put(digest, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxAPIKeyPartners {
		c.m = make(map[string]string)
	}
	c.m[digest] = id
}
