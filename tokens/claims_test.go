package tokens

import (
	"errors"
	"strings"
	"testing"
)

func TestRecipientNormalised(t *testing.T) {
	r := mustRing(t, []Key{keyNew}, WithClock(newClock(t0).Now))
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"Alice@Example.COM", "alice@example.com"},
		{"  alice@example.com\t\r\n", "alice@example.com"},
		{"\u00a0ÉLODIE@EXAMPLE.FR ", "élodie@example.fr"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		c := sampleClaims()
		c.Recipient = tt.in
		tok, issued, err := r.Issue(c)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if issued.Recipient != tt.want {
			t.Errorf("Issue(%q): Recipient = %q, want %q", tt.in, issued.Recipient, tt.want)
		}
		got, err := r.Verify(tok, PurposeInvite)
		if err != nil || got.Recipient != tt.want {
			t.Errorf("Verify: Recipient = %q, %v; want %q", got.Recipient, err, tt.want)
		}
		// Spelling the address differently gives the same token.
		c.Recipient = tt.want
		if tok2, _, _ := r.Issue(c); tok2 != tok {
			t.Errorf("%q and %q give different tokens", tt.in, tt.want)
		}
	}
}

func TestCheckRecipient(t *testing.T) {
	c := Claims{Recipient: "alice@example.com"}
	tests := []struct {
		claims Claims
		email  string
		ok     bool
	}{
		{c, "alice@example.com", true},
		{c, "ALICE@example.com", true},
		{c, " Alice@Example.Com\n", true},
		{c, "bob@example.com", false},
		{c, "alice@example.co", false},
		{c, "alice@example.com.evil", false},
		{c, "", false},
		{c, "  ", false},
		{Claims{}, "", false},
		{Claims{}, "alice@example.com", false},
		// Claims made by hand rather than by Verify may not be normalised.
		{Claims{Recipient: "Alice@Example.com "}, "alice@example.com", true},
	}
	for _, tt := range tests {
		err := tt.claims.CheckRecipient(tt.email)
		if tt.ok {
			if err != nil {
				t.Errorf("%q vs %q: %v", tt.claims.Recipient, tt.email, err)
			}
			continue
		}
		if !errors.Is(err, ErrWrongRecipient) {
			t.Errorf("%q vs %q: err = %v, want ErrWrongRecipient", tt.claims.Recipient, tt.email, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "tokens: ") || strings.Contains(err.Error(), "@") {
			t.Errorf("error %q: want the tokens: prefix and no address", err)
		}
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		var b [idLen]byte
		if !decodeID(&b, id) {
			t.Fatalf("NewID() = %q, not 32 lowercase hex characters", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}
