package tokens

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// The benchmarks sign sampleClaims (ID given, as on a retried send; a fresh
// NewID adds a crypto/rand read and one allocation).

func benchRing(b *testing.B) *Ring {
	return mustRing(b, []Key{keyNew, keyOld}, WithClock(newClock(t0).Now))
}

func BenchmarkIssueVerify(b *testing.B) {
	r := benchRing(b)
	c := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		tok, _, err := r.Issue(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Verify(tok, PurposeInvite); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueVerifyParallel(b *testing.B) {
	r := benchRing(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := sampleClaims()
		for pb.Next() {
			tok, _, err := r.Issue(c)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := r.Verify(tok, PurposeInvite); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	r := benchRing(b)
	c := sampleClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Issue(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	r := benchRing(b)
	tok, _, err := r.Issue(sampleClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Verify(tok, PurposeInvite); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBadSignature is the cost of rejecting a forged token.
func BenchmarkVerifyBadSignature(b *testing.B) {
	r := benchRing(b)
	tok := rawFrom(sampleClaims(), keyNew.ID).sign(keyOld.Secret)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Verify(tok, PurposeInvite); err != ErrBadSignature {
			b.Fatal(err)
		}
	}
}

// BenchmarkHMACBaseline is a bare hmac.New(sha256)+Write+Sum over the same
// payload bytes a token signs, for comparison with Issue and Verify.
func BenchmarkHMACBaseline(b *testing.B) {
	payload := rawFrom(sampleClaims(), keyNew.ID).payload()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, keyNew.Secret)
		m.Write(payload)
		m.Sum(nil)
	}
}
