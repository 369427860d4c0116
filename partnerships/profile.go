package partnerships

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// SizeBands are the organisation sizes (employees) of the customers a partner in
// the directory serves.
func SizeBands() []string { return []string{"1-10", "11-50", "51-250", "251-1000", "1000+"} }

// Directory profile limits.
const (
	maxLocationRunes    = 200
	maxDescriptionRunes = 1000
	maxKeywords         = 20
	maxKeywordRunes     = 50
	maxWebhookURLBytes  = 2000
	minWebhookSecret    = 16
	maxWebhookSecret    = 200
)

// PartnerProfile is what a partner shows in the find-a-partner directory and where
// it wants notifications POSTed. It lives in the partner's hash.
type PartnerProfile struct {
	PartnerID     string   `json:"partner_id"`
	Name          string   `json:"name"`
	Listed        bool     `json:"listed"`
	Location      string   `json:"location,omitempty"`
	Sizes         []string `json:"sizes"`
	Keywords      []string `json:"keywords"`
	Description   string   `json:"description,omitempty"`
	WebhookURL    string   `json:"webhook_url,omitempty"`
	WebhookSecret string   `json:"-"` // HMAC key of the webhook's signatures
}

// ProfileUpdate changes a partner's profile; a nil field is left as it is.
type ProfileUpdate struct {
	Listed        *bool
	Location      *string
	Sizes         *[]string // each one of SizeBands()
	Keywords      *[]string
	Description   *string
	WebhookURL    *string // "" removes the webhook (and its secret)
	WebhookSecret *string // 16 to 200 printable ASCII characters
}

// PartnerProfile returns partner id's profile.
func (s *Store) PartnerProfile(ctx context.Context, id string) (PartnerProfile, error) {
	m, err := readPartnerHash(ctx, s.rdb, id)()
	if err != nil {
		return PartnerProfile{}, err
	}
	return decodeProfile(m), nil
}

func decodeProfile(m map[string]string) PartnerProfile {
	return PartnerProfile{
		PartnerID:     m["id"],
		Name:          m["name"],
		Listed:        m["listed"] == "1",
		Location:      m["location"],
		Sizes:         splitList[string](m["sizes"]),
		Keywords:      splitList[string](m["keywords"]),
		Description:   m["description"],
		WebhookURL:    m["webhook_url"],
		WebhookSecret: m["webhook_secret"],
	}
}

// UpdatePartnerProfile applies u to partner id's profile in one step and returns the
// result. Bad input wraps ErrInvalidInput and names the field; nothing is changed.
func (s *Store) UpdatePartnerProfile(ctx context.Context, id string, u ProfileUpdate) (PartnerProfile, error) {
	if !validPartnerID(id) {
		return PartnerProfile{}, fmt.Errorf("%w: partner %.40q", ErrNotFound, id)
	}
	fields, err := u.fields()
	if err != nil {
		return PartnerProfile{}, err
	}
	if u.WebhookURL != nil && strings.TrimSpace(*u.WebhookURL) != "" && u.WebhookSecret == nil {
		cur, err := s.PartnerProfile(ctx, id)
		if err != nil {
			return PartnerProfile{}, err
		}
		if cur.WebhookSecret == "" {
			return PartnerProfile{}, invalid("webhook_secret", "required with a webhook URL (give one or have one generated)")
		}
	}
	listed := ""
	if u.Listed != nil {
		listed = "0"
		if *u.Listed {
			listed = "1"
		}
	}
	args := append([]any{id, listed, msString(s.nowMS())}, fields...)
	if _, err := s.run(ctx, updateProfileScript, []string{partnerKey(id), listedKey()}, args...); err != nil {
		return PartnerProfile{}, err
	}
	return s.PartnerProfile(ctx, id)
}

// fields validates u and returns the hash fields it sets, as field/value pairs.
func (u ProfileUpdate) fields() ([]any, error) {
	var out []any
	if u.Location != nil {
		v, err := cleanText("location", strings.TrimSpace(*u.Location), maxLocationRunes)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, invalid("location", "must be one line")
		}
		out = append(out, "location", v)
	}
	if u.Description != nil {
		v, err := cleanText("description", strings.TrimSpace(*u.Description), maxDescriptionRunes)
		if err != nil {
			return nil, err
		}
		out = append(out, "description", v)
	}
	if u.Sizes != nil {
		var sizes []string
		for _, sz := range *u.Sizes {
			sz = strings.TrimSpace(sz)
			if !slices.Contains(SizeBands(), sz) {
				return nil, invalid("sizes", "%q is not one of %v", sz, SizeBands())
			}
			if !slices.Contains(sizes, sz) {
				sizes = append(sizes, sz)
			}
		}
		out = append(out, "sizes", strings.Join(sizes, ","))
	}
	if u.Keywords != nil {
		kws, err := cleanKeywords(*u.Keywords)
		if err != nil {
			return nil, err
		}
		out = append(out, "keywords", strings.Join(kws, ","))
	}
	if u.WebhookURL != nil {
		v := strings.TrimSpace(*u.WebhookURL)
		if v != "" {
			if err := checkWebhookURL(v); err != nil {
				return nil, err
			}
		}
		out = append(out, "webhook_url", v)
		if v == "" {
			out = append(out, "webhook_secret", "")
		}
	}
	if u.WebhookSecret != nil {
		v := *u.WebhookSecret
		if len(v) < minWebhookSecret || len(v) > maxWebhookSecret {
			return nil, invalid("webhook_secret", "must have %d to %d characters", minWebhookSecret, maxWebhookSecret)
		}
		for i := 0; i < len(v); i++ {
			if v[i] <= ' ' || v[i] > '~' {
				return nil, invalid("webhook_secret", "must be printable ASCII without spaces")
			}
		}
		if u.WebhookURL != nil && strings.TrimSpace(*u.WebhookURL) == "" {
			return nil, invalid("webhook_secret", "given without a webhook URL")
		}
		out = append(out, "webhook_secret", v)
	}
	return out, nil
}

// cleanKeywords lowercases and trims keywords, dropping empty ones and repeats.
func cleanKeywords(in []string) ([]string, error) {
	var out []string
	for _, k := range in {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		if utf8.RuneCountInString(k) > maxKeywordRunes || strings.ContainsAny(k, ",\r\n\t") || !utf8.ValidString(k) {
			return nil, invalid("keywords", "%.60q must be at most %d characters without commas or line breaks", k, maxKeywordRunes)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if len(out) > maxKeywords {
		return nil, invalid("keywords", "%d given, at most %d allowed", len(out), maxKeywords)
	}
	return out, nil
}

func checkWebhookURL(v string) error {
	if len(v) > maxWebhookURLBytes {
		return invalid("webhook_url", "is longer than %d bytes", maxWebhookURLBytes)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return invalid("webhook_url", "%.80q is not an http(s) URL without credentials", v)
	}
	return nil
}

// ListedPartners returns the profiles of the partners in the directory, in the
// order they joined it. The listed set is in the partners' own slot, written by the
// same script as the profile, so it never disagrees with the records.
func (s *Store) ListedPartners(ctx context.Context) ([]PartnerProfile, error) {
	ids, err := s.rdb.ZRange(ctx, listedKey(), 0, -1).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("partnerships: list directory: %w", err)
	}
	maps, err := s.hashes(ctx, ids, partnerKey)
	if err != nil {
		return nil, fmt.Errorf("partnerships: list directory: %w", err)
	}
	out := make([]PartnerProfile, 0, len(maps))
	for _, m := range maps {
		if p := decodeProfile(m); p.Listed {
			out = append(out, p)
		}
	}
	return out, nil
}

// NewWebhookSecret returns a fresh webhook signing secret: "whsec_" and 32
// base32 characters (160 random bits).
func NewWebhookSecret() string { return "whsec_" + randomBase32(32) }
