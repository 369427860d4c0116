package tokens

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to Verify. It must never panic, must fail
// with one of the Verify sentinels, and may succeed only for genuinely signed
// tokens: the claims it returns must re-Issue to the very same token.
func FuzzVerify(f *testing.F) {
	clk := newClock(t0)
	ring := mustRing(f, []Key{keyNew, keyOld}, WithClock(clk.Now))
	// To re-Issue with whichever key signed.
	signers := map[string]*Ring{
		keyNew.ID: mustRing(f, []Key{keyNew}),
		keyOld.ID: mustRing(f, []Key{keyOld}),
	}

	c := sampleClaims()
	for _, p := range []Purpose{PurposeInvite, PurposeAgreement, PurposeSignIn} {
		c.Purpose = p
		for _, r := range signers {
			tok, _, err := r.Issue(c)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(tok)
		}
	}
	long := sampleClaims()
	long.Subject = strings.Repeat("s", MaxFieldLen)
	long.Recipient = strings.Repeat("r", MaxFieldLen)
	tok, _, _ := signers[keyNew.ID].Issue(long)
	f.Add(tok)
	short := Claims{ID: c.ID, Purpose: PurposeSignIn, Subject: "u", IssuedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	tok, _, _ = signers[keyNew.ID].Issue(short)
	f.Add(tok)
	f.Add(tok[:len(tok)-1])
	f.Add(tok + "A")
	v2 := rawFrom(c, keyNew.ID)
	v2.version = 2
	f.Add(v2.sign(keyNew.Secret))
	for _, s := range []string{"", "A", "AA", "AAAA", "====", "garbage!", "\x00\xff", strings.Repeat("A", 96),
		strings.Repeat("_", MaxTokenLen), strings.Repeat("A", MaxTokenLen+1)} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, token string) {
		for _, want := range []Purpose{PurposeInvite, PurposeAgreement, PurposeSignIn, ""} {
			got, err := ring.Verify(token, want)
			if err != nil {
				whichErr(t, err)
				if got != (Claims{}) {
					t.Fatalf("claims %+v returned with error %v", got, err)
				}
				continue
			}
			if got.Purpose != want {
				t.Fatalf("Verify(%q) succeeded with purpose %q", want, got.Purpose)
			}
			signer := signers[got.KeyID]
			if signer == nil {
				t.Fatalf("success with unknown KeyID %q", got.KeyID)
			}
			again, claims, err := signer.Issue(got)
			if err != nil {
				t.Fatalf("re-Issue of verified claims %+v: %v", got, err)
			}
			if again != token || claims != got {
				t.Fatalf("verified %q, claims %+v\nre-Issue gives %q, %+v", token, got, again, claims)
			}
		}
	})
}

// FuzzRoundTrip issues tokens from arbitrary claims: Issue either refuses with
// ErrInvalidClaims or makes a token that Verify accepts with the same claims.
func FuzzRoundTrip(f *testing.F) {
	f.Add("invite", "inv_1", "Alice@Example.com", t0.Unix(), int64(3600), "00112233445566778899aabbccddeeff")
	f.Add("sign-in", "u", "", int64(0), int64(1), "")
	f.Add("x", strings.Repeat("s", 255), " ȺB ", int64(maxUnix-1), int64(1), "")
	f.Add("", "", "\xff", int64(-1), int64(-1), "XYZ")
	f.Fuzz(func(t *testing.T, purpose, subject, recipient string, iat, ttl int64, id string) {
		clk := newClock(t0)
		r := mustRing(t, []Key{keyNew}, WithClock(clk.Now))
		in := Claims{ID: id, Purpose: Purpose(purpose), Subject: subject, Recipient: recipient,
			IssuedAt: time.Unix(iat, 0), ExpiresAt: time.Unix(iat, 0).Add(time.Duration(ttl) * time.Second)}
		tok, c, err := r.Issue(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidClaims) {
				t.Fatalf("Issue: %v", err)
			}
			return
		}
		if len(tok) > 1134 {
			t.Fatalf("token is %d characters", len(tok))
		}
		clk.Set(c.IssuedAt)
		got, err := r.Verify(tok, c.Purpose)
		if err != nil || got != c {
			t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
		}
		clk.Set(c.ExpiresAt)
		if _, err := r.Verify(tok, c.Purpose); !errors.Is(err, ErrExpired) {
			t.Fatalf("at expiry: err = %v, want ErrExpired", err)
		}
		if again, _, _ := r.Issue(got); again != tok {
			t.Fatalf("re-Issue gives %q, want %q", again, tok)
		}
	})
}
