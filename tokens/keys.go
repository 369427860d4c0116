package tokens

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

const (
	maxKeyIDLen  = 16
	minSecretLen = 32
	// genSecretLen is the secret size GenerateKey makes: one SHA-256 block
	// would allow 64, but 32 bytes (256 bits) is all HMAC-SHA256 can use.
	genSecretLen = 32
)

// Key is one signing key. ID is short (1 to 16 characters of [A-Za-z0-9_-])
// and travels in every token; Secret is at least 32 bytes and never leaves the
// service.
type Key struct {
	ID     string
	Secret []byte
}

// String describes k without its secret, so a Key that reaches a log line or
// an error message does not leak.
func (k Key) String() string {
	return "tokens.Key{ID: " + strconv.Quote(k.ID) + ", Secret: [redacted]}"
}

// GoString is like String, for %#v.
func (k Key) GoString() string { return k.String() }

// ParseKeys parses the configuration form "id1:base64secret,id2:base64secret",
// newest key first. Secrets may be standard or URL-safe base64, padded or not;
// spaces around entries, ids and secrets are ignored. Errors wrap
// [ErrInvalidKey] and name the entry (1-based) that is wrong; they never
// include secret material.
func ParseKeys(s string) ([]Key, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: no keys configured", ErrInvalidKey)
	}
	entries := strings.Split(s, ",")
	keys := make([]Key, 0, len(entries))
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		n := i + 1
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("%w: entry %d is empty", ErrInvalidKey, n)
		}
		id, b64, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("%w: entry %d: want id:base64secret", ErrInvalidKey, n)
		}
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if !validKeyID(id) {
			// The id is not echoed: a malformed entry may be a pasted secret.
			return nil, fmt.Errorf("%w: entry %d: key id must be 1 to %d characters of A-Z a-z 0-9 _ -", ErrInvalidKey, n, maxKeyIDLen)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: entry %d: key id %q duplicates entry %d", ErrInvalidKey, n, id, prev)
		}
		seen[id] = n
		secret, err := decodeSecret(b64)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d (%q): secret is not valid base64: %v", ErrInvalidKey, n, id, err)
		}
		if len(secret) < minSecretLen {
			return nil, fmt.Errorf("%w: entry %d (%q): secret is %d bytes, need at least %d", ErrInvalidKey, n, id, len(secret), minSecretLen)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, nil
}

// decodeSecret accepts standard or URL-safe base64, with or without padding.
func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	return enc.DecodeString(s)
}

// GenerateKey returns a new key with the given id and a 32-byte secret from
// crypto/rand.
func GenerateKey(id string) (Key, error) {
	if !validKeyID(id) {
		return Key{}, fmt.Errorf("%w: key id %q must be 1 to %d characters of A-Z a-z 0-9 _ -", ErrInvalidKey, id, maxKeyIDLen)
	}
	secret := make([]byte, genSecretLen)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("tokens: generating key: %w", err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// FormatKeys is the reverse of [ParseKeys]: "id:secret" entries joined by
// commas, in order, secrets in unpadded URL-safe base64 (no characters that
// need quoting in an environment variable or a URL).
func FormatKeys(keys []Key) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k.ID)
		b.WriteByte(':')
		b.WriteString(base64.RawURLEncoding.EncodeToString(k.Secret))
	}
	return b.String()
}

// checkKey says why k cannot be used for signing, or "" if it can.
func checkKey(k Key) string {
	if !validKeyID(k.ID) {
		return fmt.Sprintf("key id must be 1 to %d characters of A-Z a-z 0-9 _ -", maxKeyIDLen)
	}
	if len(k.Secret) < minSecretLen {
		return fmt.Sprintf("key %q: secret is %d bytes, need at least %d", k.ID, len(k.Secret), minSecretLen)
	}
	return ""
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isKeyIDByte(id[i]) {
			return false
		}
	}
	return true
}

func isKeyIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}
