package tokens

import "time"

// VerifyPast is Verify without the expiry check: it returns the claims of a
// well-formed token with a valid signature for purpose want even after its
// ExpiresAt. It is only for explaining why an expired link no longer works (say,
// that a newer invitation replaced it); never act on its claims.
func (r *Ring) VerifyPast(token string, want Purpose) (Claims, error) {
	past := Ring{keys: r.keys, now: func() time.Time { return time.Unix(0, 0) }}
	return past.Verify(token, want)
}
