package partnerships

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestIDFormats(t *testing.T) {
	c := newCustomerID()
	for _, tc := range []struct {
		name, id, pattern string
	}{
		{"customer", c, `^cu_[a-z2-7]{16}$`},
		{"partner", newPartnerID(), `^pa_[a-z2-7]{16}$`},
		{"acceptance", newAcceptanceID(), `^ac_[a-z2-7]{16}$`},
		{"invitation", newInvitationID(c), `^in_` + c[3:] + `_[a-z2-7]{16}$`},
		{"api key", newAPIKey(), `^pl_[a-z2-7]{32}$`},
		{"token id", newTokenID(), `^[0-9a-f]{32}$`},
	} {
		if !regexp.MustCompile(tc.pattern).MatchString(tc.id) {
			t.Errorf("%s id %q does not match %s", tc.name, tc.id, tc.pattern)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		id := newPartnerID()
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestCustomerOfInvitation(t *testing.T) {
	c := newCustomerID()
	good := newInvitationID(c)
	if got, err := CustomerOfInvitation(good); err != nil || got != c {
		t.Errorf("CustomerOfInvitation(%s) = %q, %v; want %s", good, got, err, c)
	}
	for _, id := range []string{
		"", "in_", good[:len(good)-1], good + "a", strings.ToUpper(good), "xx" + good[2:],
		strings.Replace(good, "_", "-", 2), good[:19] + "a" + good[20:], // no separator
		good[:3] + "{" + good[4:], good[:3] + "1" + good[4:], good[:len(good)-1] + "8",
		good[:len(good)-1] + "é"[:1], "in_" + strings.Repeat("a", 16) + "_" + strings.Repeat("a", 15) + "}",
	} {
		if got, err := CustomerOfInvitation(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("CustomerOfInvitation(%q) = %q, %v; want ErrNotFound", id, got, err)
		}
	}
}

func FuzzCustomerOfInvitation(f *testing.F) {
	f.Add(newInvitationID(newCustomerID()))
	f.Add("in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb")
	f.Add("in_")
	f.Add("")
	f.Add("in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbb\xff")
	f.Add("in_{aaaaaaaaaaaaaa}_bbbbbbbbbbbbbbbb")
	f.Fuzz(func(t *testing.T, id string) {
		c, err := CustomerOfInvitation(id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("CustomerOfInvitation(%q): error %v does not wrap ErrNotFound", id, err)
			}
			return
		}
		if !validCustomerID(c) {
			t.Fatalf("CustomerOfInvitation(%q) = %q, not a customer id", id, c)
		}
		if id != "in_"+c[3:]+id[19:] || !isBase32(id[20:]) || len(id) != 36 {
			t.Fatalf("CustomerOfInvitation(%q) = %q accepted a malformed id", id, c)
		}
		if strings.ContainsAny(id, "{}") {
			t.Fatalf("CustomerOfInvitation accepted a hash tag in %q", id)
		}
	})
}
