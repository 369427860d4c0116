package tokens

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyErrors(t *testing.T) {
	clk := newClock(t0)
	r := mustRing(t, []Key{keyNew, keyOld}, WithClock(clk.Now))
	c := sampleClaims()
	good, _, err := r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	raw := rawFrom(c, keyNew.ID)
	resign := func(mod func(*rawToken)) string {
		rt := raw
		mod(&rt)
		return rt.sign(keyNew.Secret)
	}
	badMAC := []byte(decodeRaw(t, good))
	badMAC[len(badMAC)-1] ^= 0x80
	otherKey := testKey("k9", "not in ring")
	c2 := c
	c2.Subject += "x" // one byte longer: the last character has unused bits
	good2, _, err := r.Issue(c2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(good2, PurposeInvite); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		want  Purpose
		err   error
	}{
		{"empty", "", PurposeInvite, ErrMalformed},
		{"too long", strings.Repeat("A", MaxTokenLen+1), PurposeInvite, ErrMalformed},
		{"max length garbage", strings.Repeat("A", MaxTokenLen), PurposeInvite, ErrMalformed},
		{"truncated by one", good[:len(good)-1], PurposeInvite, ErrMalformed},
		{"truncated by two", good[:len(good)-2], PurposeInvite, ErrMalformed},
		{"truncated by four", good[:len(good)-4], PurposeInvite, ErrMalformed},
		{"truncated to ten", good[:10], PurposeInvite, ErrMalformed},
		{"one extra char", good + "A", PurposeInvite, ErrMalformed},
		{"two extra chars", good + "AA", PurposeInvite, ErrMalformed},
		{"four extra chars", good + "AAAA", PurposeInvite, ErrMalformed},
		{"padding", good + "=", PurposeInvite, ErrMalformed},
		{"newline", good[:20] + "\n" + good[20:], PurposeInvite, ErrMalformed},
		{"trailing newline", good + "\n", PurposeInvite, ErrMalformed},
		{"space", " " + good, PurposeInvite, ErrMalformed},
		{"std alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/", PurposeInvite, ErrMalformed},
		{"percent-encoded", good[:5] + "%41" + good[5:], PurposeInvite, ErrMalformed},
		{"non-canonical last char", nonCanonical(t, good2), PurposeInvite, ErrMalformed},
		{"unknown version, validly signed", resign(func(rt *rawToken) { rt.version = 2 }), PurposeInvite, ErrMalformed},
		{"version 0, validly signed", resign(func(rt *rawToken) { rt.version = 0 }), PurposeInvite, ErrMalformed},
		{"empty key id, validly signed", resign(func(rt *rawToken) { rt.keyID = "" }), PurposeInvite, ErrMalformed},
		{"bad key id char, validly signed", resign(func(rt *rawToken) { rt.keyID = "k/2" }), PurposeInvite, ErrMalformed},
		{"long key id, validly signed", resign(func(rt *rawToken) { rt.keyID = strings.Repeat("k", 17) }), PurposeInvite, ErrMalformed},
		{"empty purpose, validly signed", resign(func(rt *rawToken) { rt.purpose = "" }), "", ErrMalformed},
		{"empty subject, validly signed", resign(func(rt *rawToken) { rt.subject = "" }), PurposeInvite, ErrMalformed},
		{"recipient length too long", resign(func(rt *rawToken) { rt.rcptLen = len(rt.recipient) + 1 }), PurposeInvite, ErrMalformed},
		{"recipient length too short", resign(func(rt *rawToken) { rt.rcptLen = len(rt.recipient) - 1 }), PurposeInvite, ErrMalformed},
		{"subject length past end", resign(func(rt *rawToken) { rt.subjLen = 255 }), PurposeInvite, ErrMalformed},
		{"bytes after MAC", resign(func(rt *rawToken) { rt.trailer = []byte{0} }), PurposeInvite, ErrMalformed},
		{"unknown key", resign(func(rt *rawToken) { rt.keyID = "k9" }), PurposeInvite, ErrUnknownKey},
		{"unknown key, signed by it", rawFrom(c, otherKey.ID).sign(otherKey.Secret), PurposeInvite, ErrUnknownKey},
		{"signed by another ring's key of the same id", rawFrom(c, keyNew.ID).sign(keyOld.Secret), PurposeInvite, ErrBadSignature},
		{"flipped MAC bit", base64.RawURLEncoding.EncodeToString(badMAC), PurposeInvite, ErrBadSignature},
		{"key id swapped to the other ring key", rawFrom(c, keyOld.ID).sign(keyNew.Secret), PurposeInvite, ErrBadSignature},
		{"wrong purpose", good, PurposeSignIn, ErrWrongPurpose},
		{"empty purpose wanted", good, "", ErrWrongPurpose},
		{"purpose differs in case", good, "Invite", ErrWrongPurpose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Verify(tt.token, tt.want)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			whichErr(t, err)
			if got != (Claims{}) {
				t.Errorf("Verify returned claims %+v with an error", got)
			}
		})
	}
}

// nonCanonical changes tok's last character so that only its unused low
// bits differ; a lenient decoder would accept it as the same bytes.
func nonCanonical(t *testing.T, tok string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(tok)%4 == 0 {
		t.Fatalf("token length %d has no unused bits", len(tok))
	}
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[i|1])
}

func TestBadSignatureSaysNothing(t *testing.T) {
	r := mustRing(t, []Key{keyNew}, WithClock(newClock(t0).Now))
	tok := rawFrom(sampleClaims(), keyNew.ID).sign(keyOld.Secret)
	_, err := r.Verify(tok, PurposeInvite)
	if err != ErrBadSignature {
		t.Fatalf("err = %#v, want ErrBadSignature itself, unwrapped", err)
	}
}

func TestExpiry(t *testing.T) {
	clk := newClock(t0)
	r := mustRing(t, []Key{keyNew}, WithClock(clk.Now))
	c := sampleClaims()
	tok, _, err := r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now     time.Time
		expired bool
	}{
		{c.IssuedAt, false},
		{c.ExpiresAt.Add(-time.Second), false},
		{c.ExpiresAt.Add(-time.Nanosecond), false},
		{c.ExpiresAt, true},
		{c.ExpiresAt.Add(time.Hour), true},
		{c.IssuedAt.Add(-time.Hour), false}, // clock skew: no not-before check
	}
	for _, tt := range tests {
		clk.Set(tt.now)
		_, err := r.Verify(tok, PurposeInvite)
		if tt.expired {
			if !errors.Is(err, ErrExpired) {
				t.Errorf("at %v: err = %v, want ErrExpired", tt.now, err)
			} else if want := "tokens: token expired at 2026-03-08T12:00:00Z"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
		} else if err != nil {
			t.Errorf("at %v: %v", tt.now, err)
		}
	}
}

// TestCheckOrder checks which error wins when a token has several faults.
func TestCheckOrder(t *testing.T) {
	clk := newClock(t0.Add(30 * 24 * time.Hour)) // everything below has expired
	r := mustRing(t, []Key{keyNew}, WithClock(clk.Now))
	c := sampleClaims()
	good := rawFrom(c, keyNew.ID).sign(keyNew.Secret)
	tests := []struct {
		name  string
		token string
		want  Purpose
		err   error
	}{
		{"expired", good, PurposeInvite, ErrExpired},
		{"expired, wrong purpose", good, PurposeAgreement, ErrWrongPurpose},
		{"expired, wrong purpose, bad signature", rawFrom(c, keyNew.ID).sign(keyOld.Secret), PurposeAgreement, ErrBadSignature},
		{"... and unknown key", rawFrom(c, "k7").sign(keyOld.Secret), PurposeAgreement, ErrUnknownKey},
		{"... and unknown version", func() string {
			rt := rawFrom(c, "k7")
			rt.version = 9
			return rt.sign(keyOld.Secret)
		}(), PurposeAgreement, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Verify(tt.token, tt.want)
			if got := whichErr(t, err); got != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// TestTamperDecoded flips every bit of every byte of a decoded token.
func TestTamperDecoded(t *testing.T) {
	r := mustRing(t, []Key{keyNew, keyOld}, WithClock(newClock(t0).Now))
	c := sampleClaims()
	tok, _, err := r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	raw := decodeRaw(t, tok)
	// Byte ranges, from the layout in doc.go.
	kidStart := 2
	purpStart := kidStart + len(keyNew.ID) + 1
	fixedStart := purpStart + len(c.Purpose)
	subjStart := fixedStart + 8 + 8 + 16 + 1
	rcptStart := subjStart + len(c.Subject) + 1
	macStart := len(raw) - 32
	if rcptStart+len(c.Recipient) != macStart {
		t.Fatalf("layout arithmetic is off")
	}
	lenBytes := map[int]bool{1: true, purpStart - 1: true, subjStart - 1: true, rcptStart - 1: true}
	for i := range raw {
		for bit := range 8 {
			b := []byte(string(raw))
			b[i] ^= 1 << bit
			_, err := r.Verify(base64.RawURLEncoding.EncodeToString(b), PurposeInvite)
			if err == nil {
				t.Fatalf("byte %d bit %d flipped: token still verifies", i, bit)
			}
			got := whichErr(t, err)
			var want []error
			switch {
			case i == 0:
				want = []error{ErrMalformed}
			case lenBytes[i]:
				want = []error{ErrMalformed, ErrUnknownKey, ErrBadSignature}
			case i < purpStart:
				want = []error{ErrMalformed, ErrUnknownKey}
			default: // purpose, times, id, subject, recipient, MAC
				want = []error{ErrBadSignature}
			}
			if !oneOf(got, want) {
				t.Errorf("byte %d bit %d flipped: err = %v, want one of %v", i, bit, err, want)
			}
		}
	}
}

// TestTamperText flips every bit of every character of a token.
func TestTamperText(t *testing.T) {
	r := mustRing(t, []Key{keyNew, keyOld}, WithClock(newClock(t0).Now))
	tok, _, err := r.Issue(sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(tok) {
		for bit := range 8 {
			b := []byte(tok)
			b[i] ^= 1 << bit
			_, err := r.Verify(string(b), PurposeInvite)
			if err == nil {
				t.Fatalf("char %d bit %d flipped: token still verifies", i, bit)
			}
			if got := whichErr(t, err); !oneOf(got, []error{ErrMalformed, ErrUnknownKey, ErrBadSignature}) {
				t.Errorf("char %d bit %d flipped: err = %v", i, bit, err)
			}
		}
	}
}

func oneOf(err error, set []error) bool {
	for _, e := range set {
		if err == e {
			return true
		}
	}
	return false
}
