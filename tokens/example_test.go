package tokens_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/partnerlink/partnerlink/tokens"
)

func Example() {
	// In production the keys come from configuration, newest first, e.g.
	// PARTNERLINK_TOKEN_KEYS="2026-03:…,2025-09:…", made with GenerateKey and
	// FormatKeys.
	keys, err := tokens.ParseKeys("2026-03:ZXhhbXBsZSBzZWNyZXQgLSBkbyBub3QgdXNlIGluIHByb2R1Y3Rpb24")
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ring, err := tokens.NewRing(keys, tokens.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}

	// Issue an invitation link. The ID, IssuedAt and ExpiresAt are stored with
	// the invitation so that a retried send rebuilds the same link.
	tok, claims, err := ring.Issue(tokens.Claims{
		ID:        "5f2b6c1e9a8d4e7fb3c0a1d2e3f40516", // normally left empty: Issue calls NewID
		Purpose:   tokens.PurposeInvite,
		Subject:   "inv_8842",
		Recipient: " Alice@Example.com",
		ExpiresAt: now.Add(7 * 24 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("https://partnerlink.example/invite/" + tok)

	// When the link is followed:
	got, err := ring.Verify(tok, tokens.PurposeInvite)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Subject, got.Recipient, got.ExpiresAt, got.KeyID, got == claims)
	fmt.Println(got.CheckRecipient("alice@example.COM"))

	// The same token offered as a sign-in link is refused.
	_, err = ring.Verify(tok, tokens.PurposeSignIn)
	fmt.Println(errors.Is(err, tokens.ErrWrongPurpose), err)

	// Output:
	// https://partnerlink.example/invite/AQcyMDI2LTAzBmludml0ZQAAAABppCpAAAAAAGmtZMBfK2wemo1Of7PAodLj9AUWCGludl84ODQyEWFsaWNlQGV4YW1wbGUuY29tgAuHzK626A68PPwJQbiodeqJrYQ2mm3S7JO4YdXXKA8
	// inv_8842 alice@example.com 2026-03-08 12:00:00 +0000 UTC 2026-03 true
	// <nil>
	// true tokens: wrong purpose: token is for "invite", not "sign-in"
}
