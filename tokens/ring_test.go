package tokens

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	clk := newClock(t0)
	r := mustRing(t, []Key{keyNew, keyOld}, WithClock(clk.Now))
	for _, p := range []Purpose{PurposeInvite, PurposeAgreement, PurposeSignIn} {
		t.Run(string(p), func(t *testing.T) {
			in := sampleClaims()
			in.Purpose = p
			tok, issued, err := r.Issue(in)
			if err != nil {
				t.Fatal(err)
			}
			want := in
			want.KeyID = keyNew.ID
			if issued != want {
				t.Fatalf("Issue returned claims\n%+v, want\n%+v", issued, want)
			}
			got, err := r.Verify(tok, p)
			if err != nil {
				t.Fatal(err)
			}
			if got != issued {
				t.Fatalf("Verify returned\n%+v, want\n%+v", got, issued)
			}
			if strings.ContainsAny(tok, "+/=%?&# \n") {
				t.Errorf("token %q is not URL-safe", tok)
			}
		})
	}
}

// TestFormat checks Issue against a token built by hand from doc.go.
func TestFormat(t *testing.T) {
	r := mustRing(t, []Key{keyNew})
	c := sampleClaims()
	tok, _, err := r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := rawFrom(c, keyNew.ID).sign(keyNew.Secret); tok != want {
		t.Fatalf("Issue = %s\nwant    %s", tok, want)
	}
	if raw := decodeRaw(t, tok); raw[0] != 1 {
		t.Fatalf("version byte %d, want 1", raw[0])
	}
}

func TestIssueDefaults(t *testing.T) {
	clk := newClock(t0.Add(500 * time.Millisecond))
	r := mustRing(t, []Key{keyNew}, WithClock(clk.Now))
	in := Claims{
		Purpose:   PurposeSignIn,
		Subject:   "user_42",
		Recipient: "  Bob@Example.ORG\t",
		ExpiresAt: t0.Add(15*time.Minute + 999*time.Millisecond).In(time.FixedZone("X", 3600)),
		KeyID:     "ignored",
	}
	tok, c, err := r.Issue(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ID) != 32 || strings.Trim(c.ID, "0123456789abcdef") != "" {
		t.Errorf("ID = %q, want 32 lowercase hex characters", c.ID)
	}
	if !c.IssuedAt.Equal(t0) || c.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt = %v, want %v (clock truncated to seconds, UTC)", c.IssuedAt, t0)
	}
	if want := t0.Add(15 * time.Minute); !c.ExpiresAt.Equal(want) || c.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt = %v, want %v", c.ExpiresAt, want)
	}
	if c.Recipient != "bob@example.org" {
		t.Errorf("Recipient = %q, want normalised", c.Recipient)
	}
	if c.KeyID != keyNew.ID {
		t.Errorf("KeyID = %q, want %q", c.KeyID, keyNew.ID)
	}
	got, err := r.Verify(tok, PurposeSignIn)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
}

func TestDeterministic(t *testing.T) {
	r := mustRing(t, []Key{keyNew, keyOld})
	c := sampleClaims()
	tok1, issued, err := r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	// What a caller does on a retried send: rebuild from stored fields.
	stored := Claims{ID: issued.ID, Purpose: issued.Purpose, Subject: issued.Subject,
		Recipient: "ALICE@example.com ", IssuedAt: issued.IssuedAt.Local(), ExpiresAt: issued.ExpiresAt}
	other := mustRing(t, []Key{keyNew}) // another process, same key
	for name, tc := range map[string]struct {
		r *Ring
		c Claims
	}{
		"same claims":         {r, c},
		"returned claims":     {r, issued},
		"stored fields":       {r, stored},
		"other ring same key": {other, c},
	} {
		tok2, _, err := tc.r.Issue(tc.c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tok2 != tok1 {
			t.Errorf("%s: token %s, want %s", name, tok2, tok1)
		}
	}
	// And any change in the claims changes the token.
	for name, mod := range map[string]func(*Claims){
		"id":        func(c *Claims) { c.ID = "ffeeddccbbaa99887766554433221100" },
		"purpose":   func(c *Claims) { c.Purpose = PurposeAgreement },
		"subject":   func(c *Claims) { c.Subject += "x" },
		"recipient": func(c *Claims) { c.Recipient = "bob@example.com" },
		"iat":       func(c *Claims) { c.IssuedAt = c.IssuedAt.Add(time.Second) },
		"exp":       func(c *Claims) { c.ExpiresAt = c.ExpiresAt.Add(time.Second) },
	} {
		c2 := sampleClaims()
		mod(&c2)
		tok2, _, err := r.Issue(c2)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tok2 == tok1 {
			t.Errorf("changing %s did not change the token", name)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	clk := newClock(t0)
	oldRing := mustRing(t, []Key{keyOld}, WithClock(clk.Now))
	tok, _, err := oldRing.Issue(sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	impostor := Key{ID: keyOld.ID, Secret: keyNew.Secret} // same id, other secret
	tests := []struct {
		name    string
		keys    []Key
		wantErr error
	}{
		{"old only", []Key{keyOld}, nil},
		{"new then old", []Key{keyNew, keyOld}, nil},
		{"old retired", []Key{keyNew}, ErrUnknownKey},
		{"same id different secret", []Key{keyNew, impostor}, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRing(t, tt.keys, WithClock(clk.Now))
			c, err := r.Verify(tok, PurposeInvite)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if c.KeyID != keyOld.ID {
					t.Errorf("KeyID = %q, want %q", c.KeyID, keyOld.ID)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	// After rotation, the new key signs.
	r := mustRing(t, []Key{keyNew, keyOld})
	_, c, err := r.Issue(sampleClaims())
	if err != nil || c.KeyID != keyNew.ID {
		t.Fatalf("Issue after rotation: KeyID %q, err %v; want %q", c.KeyID, err, keyNew.ID)
	}
	if got := r.KeyIDs(); len(got) != 2 || got[0] != "k2" || got[1] != "k1" {
		t.Errorf("KeyIDs = %q", got)
	}
}

func TestIssueInvalid(t *testing.T) {
	r := mustRing(t, []Key{keyNew}, WithClock(newClock(t0).Now))
	long := strings.Repeat("x", MaxFieldLen+1)
	tests := []struct {
		name string
		mod  func(*Claims)
	}{
		{"empty purpose", func(c *Claims) { c.Purpose = "" }},
		{"long purpose", func(c *Claims) { c.Purpose = Purpose(long) }},
		{"purpose not utf-8", func(c *Claims) { c.Purpose = "\xff" }},
		{"empty subject", func(c *Claims) { c.Subject = "" }},
		{"long subject", func(c *Claims) { c.Subject = long }},
		{"subject not utf-8", func(c *Claims) { c.Subject = "a\xc3" }},
		{"long recipient", func(c *Claims) { c.Recipient = long + "@x" }},
		{"recipient grows past limit when lowercased", func(c *Claims) { c.Recipient = strings.Repeat("Ⱥ", 127) }},
		{"recipient not utf-8", func(c *Claims) { c.Recipient = "\xffa@b" }},
		{"short id", func(c *Claims) { c.ID = "0011" }},
		{"uppercase id", func(c *Claims) { c.ID = "00112233445566778899AABBCCDDEEFF" }},
		{"non-hex id", func(c *Claims) { c.ID = "00112233445566778899aabbccddeefg" }},
		{"no expiry", func(c *Claims) { c.ExpiresAt = time.Time{} }},
		{"expires when issued", func(c *Claims) { c.ExpiresAt = c.IssuedAt }},
		{"expires within the issuing second", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(999 * time.Millisecond) }},
		{"expires before issued", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Hour) }},
		{"issued before 1970", func(c *Claims) { c.IssuedAt = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"expires after 9999", func(c *Claims) { c.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleClaims()
			tt.mod(&c)
			tok, got, err := r.Issue(c)
			if !errors.Is(err, ErrInvalidClaims) || !strings.HasPrefix(err.Error(), "tokens: ") {
				t.Fatalf("err = %v, want ErrInvalidClaims", err)
			}
			if tok != "" || got != (Claims{}) {
				t.Errorf("Issue returned %q, %+v with an error", tok, got)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	clk := newClock(t0)
	key := testKey(strings.Repeat("K", 16), "max")
	r := mustRing(t, []Key{key}, WithClock(clk.Now))
	c := sampleClaims()
	c.Purpose = Purpose(strings.Repeat("p", MaxFieldLen))
	c.Subject = strings.Repeat("s", MaxFieldLen)
	c.Recipient = strings.Repeat("r", MaxFieldLen)
	tok, issued, err := r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 1134 {
		t.Errorf("largest token is %d characters; doc.go says 1134", len(tok))
	}
	if raw := decodeRaw(t, tok); len(raw) != maxRawLen {
		t.Errorf("largest token is %d bytes, maxRawLen = %d", len(raw), maxRawLen)
	}
	if got, err := r.Verify(tok, c.Purpose); err != nil || got != issued {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	// The smallest.
	c = Claims{ID: c.ID, Purpose: "p", Subject: "s", IssuedAt: t0, ExpiresAt: t0.Add(time.Second)}
	r = mustRing(t, []Key{testKey("k", "min")}, WithClock(clk.Now))
	tok, issued, err = r.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	if raw := decodeRaw(t, tok); len(raw) != minRawLen {
		t.Errorf("smallest token is %d bytes, minRawLen = %d", len(raw), minRawLen)
	}
	if got, err := r.Verify(tok, "p"); err != nil || got != issued {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
}

func TestNewRingErrors(t *testing.T) {
	short := Key{ID: "short", Secret: make([]byte, 31)}
	tests := []struct {
		name string
		keys []Key
		want string
	}{
		{"nil", nil, "no keys"},
		{"empty", []Key{}, "no keys"},
		{"short secret", []Key{keyNew, short}, "key 2: key \"short\": secret is 31 bytes, need at least 32"},
		{"nil secret", []Key{{ID: "a"}}, "secret is 0 bytes"},
		{"empty id", []Key{{ID: "", Secret: keyNew.Secret}}, "key 1: key id must be"},
		{"long id", []Key{{ID: strings.Repeat("a", 17), Secret: keyNew.Secret}}, "key 1: key id must be"},
		{"bad id char", []Key{{ID: "a:b", Secret: keyNew.Secret}}, "key 1: key id must be"},
		{"duplicate id", []Key{keyNew, keyOld, {ID: keyNew.ID, Secret: keyOld.Secret}}, "key 3: duplicate key id \"k2\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRing(tt.keys)
			if r != nil || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("NewRing = %v, %v; want ErrInvalidKey", r, err)
			}
			if !strings.HasPrefix(err.Error(), "tokens: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestRingCopiesSecrets checks that changing a Key's secret after NewRing
// does not change the ring.
func TestRingCopiesSecrets(t *testing.T) {
	k := testKey("k", "copy")
	r := mustRing(t, []Key{k}, WithClock(newClock(t0).Now))
	tok, _, err := r.Issue(sampleClaims())
	if err != nil {
		t.Fatal(err)
	}
	k.Secret[0] ^= 1
	if _, err := r.Verify(tok, PurposeInvite); err != nil {
		t.Fatal(err)
	}
	tok2, _, _ := r.Issue(sampleClaims())
	if tok2 != tok {
		t.Fatal("ring follows changes to the caller's secret")
	}
}

func TestConcurrent(t *testing.T) {
	r := mustRing(t, []Key{keyNew, keyOld}, WithClock(newClock(t0).Now))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				c := sampleClaims()
				c.ID = ""
				c.Subject = strings.Repeat("s", 1+(g*200+i)%MaxFieldLen)
				tok, issued, err := r.Issue(c)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := r.Verify(tok, PurposeInvite)
				if err != nil || got != issued {
					t.Errorf("Verify = %+v, %v; want %+v", got, err, issued)
					return
				}
			}
		})
	}
	wg.Wait()
}
