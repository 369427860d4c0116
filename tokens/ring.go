package tokens

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
	"time"
)

// Ring signs tokens with its first (newest) key and verifies them with any of
// its keys. Make one with [NewRing]; the zero Ring is not usable. A Ring is
// safe for concurrent use.
type Ring struct {
	keys []*ringKey // newest first; keys[0] signs
	now  func() time.Time
}

// Option configures a Ring.
type Option func(*Ring)

// WithClock makes the ring read the time from now instead of time.Now: for
// IssuedAt when Issue is given none, and for expiry checks in Verify.
func WithClock(now func() time.Time) Option {
	return func(r *Ring) {
		if now != nil {
			r.now = now
		}
	}
}

// ringKey is a key with a pool of HMAC states keyed with its secret. An HMAC
// state that has been Reset resumes from the saved inner and outer pad state,
// so signing does not rehash the key or allocate.
type ringKey struct {
	id   string
	macs sync.Pool // of hash.Hash
}

// NewRing returns a ring of keys, newest first. It fails if there are no keys,
// a key has a bad ID or a secret shorter than 32 bytes, or two keys share an
// ID. The ring keeps its own copy of the secrets.
func NewRing(keys []Key, opts ...Option) (*Ring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidKey)
	}
	r := &Ring{keys: make([]*ringKey, 0, len(keys)), now: time.Now}
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if why := checkKey(k); why != "" {
			return nil, fmt.Errorf("%w: key %d: %s", ErrInvalidKey, i+1, why)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("%w: key %d: duplicate key id %q", ErrInvalidKey, i+1, k.ID)
		}
		seen[k.ID] = true
		secret := append([]byte(nil), k.Secret...)
		rk := &ringKey{id: k.ID}
		rk.macs.New = func() any { return hmac.New(sha256.New, secret) }
		r.keys = append(r.keys, rk)
	}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// KeyIDs returns the ids of the ring's keys, newest (signing) key first.
func (r *Ring) KeyIDs() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// appendMAC appends HMAC-SHA256(msg) under k to dst.
func (k *ringKey) appendMAC(dst, msg []byte) []byte {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst)
	k.macs.Put(h)
	return dst
}

func (r *Ring) key(id []byte) *ringKey {
	for _, k := range r.keys {
		if k.id == string(id) {
			return k
		}
	}
	return nil
}

// Issue signs c with the ring's newest key and returns the token and the
// claims as signed. If c.ID is empty it is set with [NewID]; if c.IssuedAt is
// zero it is the ring's current time. Times are truncated to whole seconds and
// returned in UTC, the recipient is trimmed and lowercased, and KeyID is set
// to the signing key (whatever c.KeyID was).
//
// Signing is deterministic: the same claims and key give the same token, so a
// caller that stored ID, IssuedAt and ExpiresAt can rebuild a link by calling
// Issue again. Errors wrap [ErrInvalidClaims]: a purpose or subject that is
// empty, any of purpose, subject or (normalised) recipient longer than
// [MaxFieldLen] bytes or not UTF-8, an ID that is not 32 lowercase hex
// characters, an ExpiresAt that is not at least a second after IssuedAt, or
// a time outside the years 1970 to 9999.
func (r *Ring) Issue(c Claims) (string, Claims, error) {
	k := r.keys[0]
	id, err := c.prepare(r.now, k.id)
	if err != nil {
		return "", Claims{}, err
	}
	sc := getScratch()
	defer putScratch(sc)
	b := appendPayload(sc.raw[:0], &c, &id)
	b = k.appendMAC(b, b)
	out := sc.out[:b64.EncodedLen(len(b))]
	b64.Encode(out, b)
	return string(out), c, nil
}

// Verify checks token and returns its claims. It checks, in order, that the
// token is well formed ([ErrMalformed]), that its key is in the ring
// ([ErrUnknownKey]), its HMAC ([ErrBadSignature]), that it was made for
// purpose want ([ErrWrongPurpose]) and that the ring's clock is before its
// expiry time ([ErrExpired]). A token is expired from its ExpiresAt second on.
//
// Verify does not check the recipient (see [Claims.CheckRecipient]) or
// whether the token was used before.
func (r *Ring) Verify(token string, want Purpose) (Claims, error) {
	if len(token) == 0 {
		return Claims{}, errEmpty
	}
	if len(token) > MaxTokenLen {
		return Claims{}, errTooLong
	}
	sc := getScratch()
	defer putScratch(sc)
	raw, err := decode(sc, token)
	if err != nil {
		return Claims{}, err
	}
	f, err := parse(raw)
	if err != nil {
		return Claims{}, err
	}
	k := r.key(f.keyID)
	if k == nil {
		return Claims{}, fmt.Errorf("%w %q", ErrUnknownKey, f.keyID)
	}
	if !hmac.Equal(k.appendMAC(sc.sum[:0], f.signed), f.mac) {
		return Claims{}, ErrBadSignature
	}
	if string(f.purpose) != string(want) {
		return Claims{}, fmt.Errorf("%w: token is for %q, not %q", ErrWrongPurpose, f.purpose, want)
	}
	if r.now().Unix() >= f.exp {
		return Claims{}, fmt.Errorf("%w at %s", ErrExpired, time.Unix(f.exp, 0).UTC().Format(time.RFC3339))
	}
	// One allocation for all three strings.
	txt := hex.AppendEncode(sc.out[:0], f.id)
	txt = append(txt, f.subject...)
	txt = append(txt, f.recipient...)
	s := string(txt)
	sub := 2*idLen + len(f.subject)
	return Claims{
		ID:        s[:2*idLen],
		Purpose:   want,
		Subject:   s[2*idLen : sub],
		Recipient: s[sub:],
		IssuedAt:  time.Unix(f.iat, 0).UTC(),
		ExpiresAt: time.Unix(f.exp, 0).UTC(),
		KeyID:     k.id,
	}, nil
}
