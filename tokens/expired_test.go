package tokens

import (
	"errors"
	"testing"
	"time"
)

func TestVerifyPast(t *testing.T) {
	key, err := GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r, err := NewRing([]Key{key}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := r.Issue(Claims{ID: "0123456789abcdef0123456789abcdef", Purpose: PurposeInvite, Subject: "in_x",
		Recipient: "a@b.example", IssuedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(tok, PurposeInvite); !errors.Is(err, ErrExpired) {
		t.Fatalf("Verify: err = %v, want ErrExpired", err)
	}
	c, err := r.VerifyPast(tok, PurposeInvite)
	if err != nil || c.Subject != "in_x" {
		t.Errorf("VerifyPast = %+v, %v", c, err)
	}
	tests := []struct {
		name, token string
		purpose     Purpose
		want        error
	}{
		{"wrong purpose", tok, PurposeAgreement, ErrWrongPurpose},
		{"bad signature", otherSignatureChar(tok), PurposeInvite, ErrBadSignature},
		{"malformed", "x", PurposeInvite, ErrMalformed},
	}
	for _, tt := range tests {
		if _, err := r.VerifyPast(tt.token, tt.purpose); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// otherSignatureChar changes one character inside tok's signature to another,
// one whose every bit counts (the last character of unpadded base64 carries
// unused bits, so changing it may change nothing).
func otherSignatureChar(tok string) string {
	i := len(tok) - 5
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
