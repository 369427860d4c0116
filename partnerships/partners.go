package partnerships

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// CreatePartner stores a new partner and returns it with its first API key. The key
// is shown only here: the store keeps just its SHA-256.
func (s *Store) CreatePartner(ctx context.Context, name, contactEmail string) (Partner, string, error) {
	name, err := cleanName("name", name)
	if err != nil {
		return Partner{}, "", err
	}
	contactEmail, err = cleanEmail("contact_email", contactEmail)
	if err != nil {
		return Partner{}, "", err
	}
	p := Partner{ID: newPartnerID(), Name: name, ContactEmail: contactEmail, CreatedAt: s.nowMS()}
	key := newAPIKey()
	_, err = s.run(ctx, createPartnerScript,
		[]string{partnerKey(p.ID), partnersKey(), apiKeysKey(), contactsKey()},
		p.ID, p.Name, p.ContactEmail, msString(p.CreatedAt), apiKeyDigest(key))
	if err != nil {
		return Partner{}, "", err
	}
	return p, key, nil
}

// Partner returns the partner with the given id.
func (s *Store) Partner(ctx context.Context, id string) (Partner, error) {
	p, _, err := s.partner(ctx, id)
	return p, err
}

// partner returns a partner and the digests of its API keys.
func (s *Store) partner(ctx context.Context, id string) (Partner, []string, error) {
	m, err := readPartnerHash(ctx, s.rdb, id)()
	if err != nil {
		return Partner{}, nil, err
	}
	return decodePartner(m), splitList[string](m["api_keys"]), nil
}

// Partners returns every partner, oldest first.
func (s *Store) Partners(ctx context.Context) ([]Partner, error) {
	ids, err := s.rdb.ZRange(ctx, partnersKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list partners: %w", err)
	}
	maps, err := s.hashes(ctx, ids, partnerKey)
	if err != nil {
		return nil, fmt.Errorf("partnerships: list partners: %w", err)
	}
	out := make([]Partner, 0, len(maps))
	for _, m := range maps {
		out = append(out, decodePartner(m))
	}
	return out, nil
}

func decodePartner(m map[string]string) Partner {
	return Partner{
		ID:           m["id"],
		Name:         m["name"],
		ContactEmail: m["contact_email"],
		CreatedAt:    parseMS(m["created_at"]),
	}
}

// hashes reads the hash of each id in one pipeline (on Redis Cluster, one per
// node), in order, leaving out ids whose hash does not exist.
func (s *Store) hashes(ctx context.Context, ids []string, key func(string) string) ([]map[string]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, key(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]map[string]string, 0, len(ids))
	for _, c := range cmds {
		if m := c.Val(); len(m) > 0 {
			out = append(out, m)
		}
	}
	return out, nil
}
