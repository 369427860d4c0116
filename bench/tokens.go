package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/tokens"
)

// benchTokens (item 4): Issue + Verify of an invitation link token against one
// bare HMAC-SHA256 (hmac.New + Write + Sum) of the same bytes the token signs.
func benchTokens() []row {
	key, err := tokens.GenerateKey("b1")
	if err != nil {
		return []row{{figure: "4. token issue + verify", got: "error: " + err.Error()}}
	}
	ring, err := tokens.NewRing([]tokens.Key{key})
	if err != nil {
		return []row{{figure: "4. token issue + verify", got: "error: " + err.Error()}}
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := tokens.Claims{ID: "00112233445566778899aabbccddeeff", Purpose: tokens.PurposeInvite,
		Subject: "in_aaaaaaaaaaaaaaaa_0000000000000001", Recipient: "admin@fabrikam.example",
		IssuedAt: now, ExpiresAt: now.Add(14 * 24 * time.Hour)}
	tok, _, err := ring.Issue(c)
	if err != nil {
		return []row{{figure: "4. token issue + verify", got: "error: " + err.Error()}}
	}
	payload := []byte(tok)
	if i := strings.LastIndexByte(tok, '.'); i > 0 {
		payload = payload[:i]
	}
	issueVerify := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, _, err := ring.Issue(c)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ring.Verify(t, tokens.PurposeInvite); err != nil {
				b.Fatal(err)
			}
		}
	}
	bareHMAC := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, key.Secret)
			m.Write(payload)
			m.Sum(nil)
		}
	}
	// The machine may be shared: alternate three rounds and keep each one's best.
	var tr, hr testing.BenchmarkResult
	for range 3 {
		if r := testing.Benchmark(issueVerify); tr.N == 0 || r.NsPerOp() < tr.NsPerOp() {
			tr = r
		}
		if r := testing.Benchmark(bareHMAC); hr.N == 0 || r.NsPerOp() < hr.NsPerOp() {
			hr = r
		}
	}
	got := float64(tr.NsPerOp()) / 1000
	ref := float64(hr.NsPerOp()) / 1000
	return []row{{
		figure: "4. token issue + verify, per op (best of 3)",
		got:    fmt.Sprintf("%.2f µs, %d allocs", got, tr.AllocsPerOp()),
		ref:    fmt.Sprintf("one bare HMAC-SHA256 of the %d signed bytes: %.2f µs", len(payload), ref),
		ratio:  fmt.Sprintf("%.1f×", got/ref),
		target: "≤ 2 µs",
		met:    metStr(got <= 2),
	}}
}
