package partnerships

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Partner requests by email. A partner may ask for invitations by mail; the inbox
// trusts a mail when its sender is the partner's contact address (and the mail
// passed DKIM or SPF), or when it was sent to the partner's secret plus-address
// requests+<secret>@…. The secret is 20 lowercase base32 characters (100 random
// bits); like API keys, the store keeps only its SHA-256, in the partner's
// request_secret field and in the index pl:{partners}:reqsecrets.

// RequestSecretLen is the length of a request secret.
const RequestSecretLen = 20

func newRequestSecret() string {
	b := make([]byte, 13) // 104 bits, of which 100 are kept
	_, _ = rand.Read(b)
	return b32.EncodeToString(b)[:RequestSecretLen]
}

// ValidRequestSecret reports whether s has the form of a request secret.
func ValidRequestSecret(s string) bool { return len(s) == RequestSecretLen && isBase32(s) }

// RequestSecret issues the partner's secret request address part (the <secret>
// of requests+<secret>@…) and returns it; it is shown only here. The store keeps
// only its digest, so it cannot show a secret again: every call issues a new one
// and retires the previous one. An unknown partner gives ErrNotFound.
func (s *Store) RequestSecret(ctx context.Context, partnerID string) (string, error) {
	if !validPartnerID(partnerID) {
		return "", fmt.Errorf("%w: partner %.40q", ErrNotFound, partnerID)
	}
	secret := newRequestSecret()
	if _, err := s.run(ctx, setRequestSecretScript, []string{partnerKey(partnerID), requestSecretsKey()},
		partnerID, apiKeyDigest(secret)); err != nil {
		return "", err
	}
	return secret, nil
}

// PartnerByRequestSecret returns the partner whose current request secret is
// secret (case-insensitive), or ErrNotFound.
func (s *Store) PartnerByRequestSecret(ctx context.Context, secret string) (Partner, error) {
	notFound := fmt.Errorf("%w: unknown request secret", ErrNotFound)
	secret = toLowerASCII(secret)
	if !ValidRequestSecret(secret) {
		return Partner{}, notFound
	}
	digest := apiKeyDigest(secret)
	id, err := s.rdb.HGet(ctx, requestSecretsKey(), digest).Result()
	if errors.Is(err, redis.Nil) {
		return Partner{}, notFound
	}
	if err != nil {
		return Partner{}, fmt.Errorf("partnerships: look up request secret: %w", err)
	}
	m, err := s.partnerFields(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Partner{}, notFound
	}
	if err != nil {
		return Partner{}, err
	}
	// The index and the partner record must agree.
	if subtle.ConstantTimeCompare([]byte(m["request_secret"]), []byte(digest)) != 1 {
		return Partner{}, notFound
	}
	return decodePartner(m), nil
}

// PartnerByContact returns the partner whose contact email is email (compared
// lowercased), or ErrNotFound. When several partners share the address the
// oldest one is returned. Partners created before the contact index existed are
// found by reading all partners.
func (s *Store) PartnerByContact(ctx context.Context, email string) (Partner, error) {
	email, err := cleanEmail("email", email)
	if err != nil {
		return Partner{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	id, err := s.rdb.HGet(ctx, contactsKey(), email).Result()
	switch {
	case err == nil:
		m, err := s.partnerFields(ctx, id)
		if err == nil && m["contact_email"] == email {
			return decodePartner(m), nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Partner{}, err
		}
	case !errors.Is(err, redis.Nil):
		return Partner{}, fmt.Errorf("partnerships: look up contact: %w", err)
	}
	all, err := s.Partners(ctx)
	if err != nil {
		return Partner{}, err
	}
	for _, p := range all {
		if p.ContactEmail == email {
			return p, nil
		}
	}
	return Partner{}, fmt.Errorf("%w: no partner has contact %s", ErrNotFound, email)
}

// partnerFields reads a partner's hash.
func (s *Store) partnerFields(ctx context.Context, id string) (map[string]string, error) {
	if !validPartnerID(id) {
		return nil, fmt.Errorf("%w: partner %.40q", ErrNotFound, id)
	}
	m, err := s.rdb.HGetAll(ctx, partnerKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: read partner %s: %w", id, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: partner %s", ErrNotFound, id)
	}
	return m, nil
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
