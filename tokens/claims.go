package tokens

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Purpose says what a token may be used for; a token made for one purpose
// never verifies for another.
type Purpose string

// The purposes partnerlink issues tokens for.
const (
	PurposeInvite    Purpose = "invite"
	PurposeAgreement Purpose = "agreement"
	PurposeSignIn    Purpose = "sign-in"
	// PurposeStopReminders authorises the one-click "stop reminding me" link of a
	// reminder email (sched).
	PurposeStopReminders Purpose = "stop-reminders"
)

// MaxFieldLen is the most bytes Purpose, Subject and Recipient may each hold.
const MaxFieldLen = 255

// Claims are what a token says.
type Claims struct {
	ID        string    // 128-bit random, 32 lowercase hex characters; see NewID
	Purpose   Purpose   // non-empty, at most MaxFieldLen bytes
	Subject   string    // e.g. an invitation id; non-empty, at most MaxFieldLen bytes
	Recipient string    // email address, trimmed and lowercased; at most MaxFieldLen bytes
	IssuedAt  time.Time // Unix-second precision, UTC
	ExpiresAt time.Time // Unix-second precision, UTC; after IssuedAt
	KeyID     string    // set by Issue and Verify to the key that signed
}

// NewID returns a new token ID: 16 bytes from crypto/rand in lowercase hex.
func NewID() string {
	var b [idLen]byte
	rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b[:])
}

// CheckRecipient reports whether email, once normalised (trimmed and
// lowercased), is the token's recipient. It returns an error wrapping
// [ErrWrongRecipient] if not, and also if either address is empty: a token
// issued without a recipient is bound to nobody. The error does not contain
// either address.
func (c Claims) CheckRecipient(email string) error {
	if c.Recipient == "" {
		return fmt.Errorf("%w: token has no recipient", ErrWrongRecipient)
	}
	want := normaliseRecipient(email)
	if want == "" || normaliseRecipient(c.Recipient) != want {
		return ErrWrongRecipient
	}
	return nil
}

// normaliseRecipient trims surrounding white space and lowercases.
// Both steps return s itself (no allocation) when there is nothing to change.
func normaliseRecipient(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// prepare fills in and checks c for signing by key id kid at time now, and
// returns the binary token ID.
func (c *Claims) prepare(now func() time.Time, kid string) (id [idLen]byte, err error) {
	if c.ID == "" {
		c.ID = NewID()
	}
	if !decodeID(&id, c.ID) {
		return id, fmt.Errorf("%w: ID must be 32 lowercase hex characters", ErrInvalidClaims)
	}
	if c.Purpose == "" || len(c.Purpose) > MaxFieldLen || !utf8.ValidString(string(c.Purpose)) {
		return id, fmt.Errorf("%w: purpose must be 1 to %d bytes of UTF-8", ErrInvalidClaims, MaxFieldLen)
	}
	if c.Subject == "" || len(c.Subject) > MaxFieldLen || !utf8.ValidString(c.Subject) {
		return id, fmt.Errorf("%w: subject must be 1 to %d bytes of UTF-8", ErrInvalidClaims, MaxFieldLen)
	}
	if !utf8.ValidString(c.Recipient) {
		return id, fmt.Errorf("%w: recipient is not valid UTF-8", ErrInvalidClaims)
	}
	c.Recipient = normaliseRecipient(c.Recipient)
	if len(c.Recipient) > MaxFieldLen {
		return id, fmt.Errorf("%w: recipient is longer than %d bytes", ErrInvalidClaims, MaxFieldLen)
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now()
	}
	if c.ExpiresAt.IsZero() {
		return id, fmt.Errorf("%w: ExpiresAt is required", ErrInvalidClaims)
	}
	c.IssuedAt = time.Unix(c.IssuedAt.Unix(), 0).UTC()
	c.ExpiresAt = time.Unix(c.ExpiresAt.Unix(), 0).UTC()
	if !inTimeRange(c.IssuedAt) || !inTimeRange(c.ExpiresAt) {
		return id, fmt.Errorf("%w: IssuedAt and ExpiresAt must be in years 1970 to 9999", ErrInvalidClaims)
	}
	if !c.ExpiresAt.After(c.IssuedAt) {
		return id, fmt.Errorf("%w: ExpiresAt must be at least a second after IssuedAt", ErrInvalidClaims)
	}
	c.KeyID = kid
	return id, nil
}

// maxUnix is 9999-12-31T23:59:59Z.
const maxUnix = 253402300799

// inTimeRange keeps times to where Unix seconds and time.Time agree on order
// and every time formats as RFC 3339.
func inTimeRange(t time.Time) bool {
	u := t.Unix()
	return 0 <= u && u <= maxUnix
}

// decodeID parses the canonical (lowercase) hex form of a token ID.
func decodeID(dst *[idLen]byte, s string) bool {
	if len(s) != 2*idLen {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
