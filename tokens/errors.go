package tokens

import (
	"errors"
	"fmt"
)

// Errors returned by [Ring.Verify], in the order it checks for them. Errors
// returned by this package wrap them with detail; use [errors.Is].
var (
	ErrMalformed    = errors.New("tokens: malformed token")
	ErrUnknownKey   = errors.New("tokens: unknown signing key")
	ErrBadSignature = errors.New("tokens: bad signature")
	ErrWrongPurpose = errors.New("tokens: wrong purpose")
	ErrExpired      = errors.New("tokens: token expired")
)

// ErrWrongRecipient is returned by [Claims.CheckRecipient].
var ErrWrongRecipient = errors.New("tokens: wrong recipient")

// ErrInvalidClaims is wrapped by [Ring.Issue] when the claims cannot be signed.
var ErrInvalidClaims = errors.New("tokens: invalid claims")

// ErrInvalidKey is wrapped by [ParseKeys], [GenerateKey] and [NewRing] when a
// key or the key list is unusable.
var ErrInvalidKey = errors.New("tokens: invalid key")

// Malformed-token errors are built once: Verify is reachable by anyone holding
// a link, and rejecting garbage should not cost an allocation.
var (
	errEmpty     = fmt.Errorf("%w: empty", ErrMalformed)
	errTooLong   = fmt.Errorf("%w: longer than %d characters", ErrMalformed, MaxTokenLen)
	errBase64    = fmt.Errorf("%w: not canonical unpadded base64url", ErrMalformed)
	errVersion   = fmt.Errorf("%w: unsupported version", ErrMalformed)
	errTooShort  = fmt.Errorf("%w: too short", ErrMalformed)
	errTruncated = fmt.Errorf("%w: truncated field", ErrMalformed)
	errKeyID     = fmt.Errorf("%w: invalid key id", ErrMalformed)
	errEmptyFld  = fmt.Errorf("%w: empty purpose or subject", ErrMalformed)
	errTrailing  = fmt.Errorf("%w: trailing bytes", ErrMalformed)
)
