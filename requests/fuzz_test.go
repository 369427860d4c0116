package requests

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to Parse, seeded with every sample request in
// testdata (and deep nesting, encoded words). It must never panic, must fail only with ErrNotARequest or
// ErrUnreadable, and every request it returns must be valid: a lowercased address,
// a known type, a known locale, a message within its bound.
func FuzzParse(f *testing.F) {
	seeds(f) // every sample in testdata
	f.Add([]byte("Subject: Invite\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\ncustomer: a@b.example\r\n--c--\r\n--b--\r\n"))
	f.Add([]byte("Subject: =?utf-8?b?SW52aXRl?=\r\nContent-Transfer-Encoding: base64\r\n\r\nY3VzdG9tZXI6IGFAYi5leGFtcGxl\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrNotARequest) && !errors.Is(err, ErrUnreadable) {
				t.Fatalf("Parse failed with an error of no known kind: %v", err)
			}
			return
		}
		if len(p.Requests) == 0 && len(p.Errors) == 0 {
			t.Fatal("Parse succeeded with neither requests nor errors")
		}
		for _, r := range p.Requests {
			if r.CustomerEmail != strings.ToLower(r.CustomerEmail) || !strings.Contains(r.CustomerEmail, "@") || len(r.CustomerEmail) > maxEmailBytes {
				t.Fatalf("request with bad customer email %q", r.CustomerEmail)
			}
			if !r.Type.Valid() {
				t.Fatalf("request with unknown type %q", r.Type)
			}
			if r.Locale != "en" && r.Locale != "de" {
				t.Fatalf("request with unknown locale %q", r.Locale)
			}
			if utf8.RuneCountInString(r.Message) > maxMessageRunes {
				t.Fatalf("request message of %d runes", utf8.RuneCountInString(r.Message))
			}
		}
	})
}
