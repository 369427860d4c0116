package tokens

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey returns a key with a fixed secret derived from seed.
func testKey(id, seed string) Key {
	s := sha256.Sum256([]byte(seed))
	return Key{ID: id, Secret: s[:]}
}

var (
	keyNew = testKey("k2", "new secret")
	keyOld = testKey("k1", "old secret")
	t0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func mustRing(tb testing.TB, keys []Key, opts ...Option) *Ring {
	tb.Helper()
	r, err := NewRing(keys, opts...)
	if err != nil {
		tb.Fatalf("NewRing: %v", err)
	}
	return r
}

// sampleClaims are typical invitation claims, with every field given.
func sampleClaims() Claims {
	return Claims{
		ID:        "00112233445566778899aabbccddeeff",
		Purpose:   PurposeInvite,
		Subject:   "inv_01HZX3Q8W9",
		Recipient: "alice@example.com",
		IssuedAt:  t0,
		ExpiresAt: t0.Add(7 * 24 * time.Hour),
	}
}

// rawToken is a token's fields before signing, for building tokens by hand
// from the format in doc.go, independently of the package's encoder.
type rawToken struct {
	version                                byte
	keyID, purpose, subject, recipient     string
	iat, exp                               int64
	id                                     [16]byte
	keyIDLen, purposeLen, subjLen, rcptLen int // -1: use the real length
	trailer                                []byte
}

func rawFrom(c Claims, keyID string) rawToken {
	rt := rawToken{
		version: 1, keyID: keyID, purpose: string(c.Purpose), subject: c.Subject, recipient: c.Recipient,
		iat: c.IssuedAt.Unix(), exp: c.ExpiresAt.Unix(),
		keyIDLen: -1, purposeLen: -1, subjLen: -1, rcptLen: -1,
	}
	if !decodeID(&rt.id, c.ID) {
		panic("bad test ID " + c.ID)
	}
	return rt
}

func field(b *bytes.Buffer, s string, n int) {
	if n < 0 {
		n = len(s)
	}
	b.WriteByte(byte(n))
	b.WriteString(s)
}

// payload is the signed part of rt, laid out as doc.go says.
func (rt rawToken) payload() []byte {
	var b bytes.Buffer
	b.WriteByte(rt.version)
	field(&b, rt.keyID, rt.keyIDLen)
	field(&b, rt.purpose, rt.purposeLen)
	binary.Write(&b, binary.BigEndian, rt.iat)
	binary.Write(&b, binary.BigEndian, rt.exp)
	b.Write(rt.id[:])
	field(&b, rt.subject, rt.subjLen)
	field(&b, rt.recipient, rt.rcptLen)
	return b.Bytes()
}

// sign returns rt signed with secret and encoded, as doc.go says.
func (rt rawToken) sign(secret []byte) string {
	p := rt.payload()
	m := hmac.New(sha256.New, secret)
	m.Write(p)
	p = m.Sum(p)
	p = append(p, rt.trailer...)
	return base64.RawURLEncoding.EncodeToString(p)
}

func decodeRaw(tb testing.TB, tok string) []byte {
	tb.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		tb.Fatalf("decoding %q: %v", tok, err)
	}
	return b
}

var verifyErrs = []error{ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrWrongPurpose, ErrExpired}

// whichErr names the sentinel err wraps, checking that it wraps exactly one.
func whichErr(tb testing.TB, err error) error {
	tb.Helper()
	var found error
	for _, s := range verifyErrs {
		if errors.Is(err, s) {
			if found != nil {
				tb.Fatalf("error %q wraps both %v and %v", err, found, s)
			}
			found = s
		}
	}
	if found == nil {
		tb.Fatalf("error %q wraps none of the Verify sentinels", err)
	}
	if !strings.HasPrefix(err.Error(), "tokens: ") {
		tb.Fatalf("error %q lacks the \"tokens: \" prefix", err)
	}
	return found
}
