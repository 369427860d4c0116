package tokens

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"sync"
)

// MaxTokenLen is the longest string Verify will look at; anything longer is
// rejected as malformed before it is decoded. Version-1 tokens are at most
// 1134 characters.
const MaxTokenLen = 2048

const (
	version = 1
	idLen   = 16
	macLen  = 32

	// minRawLen is the shortest version-1 token: one-byte key ID, purpose and
	// subject, no recipient.
	minRawLen = 1 + 1 + 1 + 1 + 1 + 8 + 8 + idLen + 1 + 1 + 1 + macLen
	// maxRawLen is the longest version-1 token.
	maxRawLen = 1 + 1 + maxKeyIDLen + 1 + MaxFieldLen + 8 + 8 + idLen + 1 + MaxFieldLen + 1 + MaxFieldLen + macLen

	maxDecodedLen = MaxTokenLen * 6 / 8
)

// b64 is strict: the unused bits of the last character must be zero, so each
// token has exactly one spelling. (Strict still skips CR and LF; decode
// rejects them first.)
var b64 = base64.RawURLEncoding.Strict()

// scratch is the working memory for one Issue or Verify call. Its size is
// fixed, so nothing in a token decides how much is allocated.
type scratch struct {
	in  [MaxTokenLen]byte   // Verify: copy of the token text
	raw [maxDecodedLen]byte // decoded token / payload being built
	out [MaxTokenLen]byte   // Issue: encoded token; Verify: claim strings
	sum [macLen]byte        // Verify: expected MAC
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch   { return scratchPool.Get().(*scratch) }
func putScratch(sc *scratch) { scratchPool.Put(sc) }

// appendPayload appends the signed part of a version-1 token for c (already
// prepared: every length is in range) to dst.
func appendPayload(dst []byte, c *Claims, id *[idLen]byte) []byte {
	dst = append(dst, version)
	dst = appendField(dst, c.KeyID)
	dst = appendField(dst, string(c.Purpose))
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.IssuedAt.Unix()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.ExpiresAt.Unix()))
	dst = append(dst, id[:]...)
	dst = appendField(dst, c.Subject)
	dst = appendField(dst, c.Recipient)
	return dst
}

func appendField(dst []byte, s string) []byte {
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// fields are the parts of a decoded token; the slices point into its buffer.
type fields struct {
	keyID, purpose, id, subject, recipient []byte
	iat, exp                               int64
	signed, mac                            []byte
}

// decode decodes token into sc.raw. The caller has checked that
// 0 < len(token) <= MaxTokenLen. The strict decoder rejects every byte outside
// the base64url alphabet (including '=') and non-zero unused bits, but skips
// CR and LF, so those are rejected here.
func decode(sc *scratch, token string) ([]byte, error) {
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return nil, errBase64
	}
	n := copy(sc.in[:], token)
	n, err := b64.Decode(sc.raw[:], sc.in[:n])
	if err != nil {
		return nil, errBase64
	}
	return sc.raw[:n], nil
}

// parse splits a decoded version-1 token into its fields. It checks layout
// only; what the fields say is trusted only after the MAC has been checked.
func parse(raw []byte) (f fields, err error) {
	if len(raw) == 0 || raw[0] != version {
		return f, errVersion
	}
	if len(raw) < minRawLen {
		return f, errTooShort
	}
	f.signed, f.mac = raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	p := f.signed[1:]
	var ok bool
	if f.keyID, p, ok = cutField(p); !ok {
		return f, errTruncated
	}
	if len(f.keyID) == 0 || len(f.keyID) > maxKeyIDLen {
		return f, errKeyID
	}
	for _, c := range f.keyID {
		if !isKeyIDByte(c) {
			return f, errKeyID
		}
	}
	if f.purpose, p, ok = cutField(p); !ok {
		return f, errTruncated
	}
	if len(p) < 8+8+idLen {
		return f, errTruncated
	}
	f.iat = int64(binary.BigEndian.Uint64(p))
	f.exp = int64(binary.BigEndian.Uint64(p[8:]))
	f.id, p = p[16:16+idLen], p[16+idLen:]
	if f.subject, p, ok = cutField(p); !ok {
		return f, errTruncated
	}
	if f.recipient, p, ok = cutField(p); !ok {
		return f, errTruncated
	}
	if len(p) != 0 {
		return f, errTrailing
	}
	if len(f.purpose) == 0 || len(f.subject) == 0 {
		return f, errEmptyFld
	}
	return f, nil
}

// cutField splits a length-prefixed field off the front of p.
func cutField(p []byte) (field, rest []byte, ok bool) {
	if len(p) == 0 {
		return nil, nil, false
	}
	n := int(p[0])
	p = p[1:]
	if len(p) < n {
		return nil, nil, false
	}
	return p[:n], p[n:], true
}
