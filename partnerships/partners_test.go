package partnerships

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreatePartner(t *testing.T) {
	e := newEnv(t)
	p, key, err := e.s.CreatePartner(e.ctx, "  Contoso Ltd  ", "Sales@Contoso.Example")
	if err != nil {
		t.Fatal(err)
	}
	want := Partner{ID: p.ID, Name: "Contoso Ltd", ContactEmail: "sales@contoso.example", CreatedAt: e.clock.Now().Truncate(1e6)}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("CreatePartner (-want +got):\n%s", diff)
	}
	if !validPartnerID(p.ID) {
		t.Errorf("partner id %q: want pa_ + 16 base32 chars", p.ID)
	}
	if !validAPIKey(key) {
		t.Errorf("API key %q: want pl_ + 32 base32 chars", key)
	}

	got, err := e.s.Partner(e.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("Partner (-created +read):\n%s", diff)
	}
	byKey, err := e.s.PartnerByAPIKey(e.ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, byKey); diff != "" {
		t.Errorf("PartnerByAPIKey (-created +read):\n%s", diff)
	}

	// Only the digest is stored.
	stored, err := e.rdb.HGetAll(e.ctx, apiKeysKey()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{apiKeyDigest(key): p.ID}, stored); diff != "" {
		t.Errorf("API key index (-want +got):\n%s", diff)
	}
	for k, v := range snapshot(t, e.rdb) {
		if strings.Contains(k, key) || strings.Contains(fmt.Sprint(v), key) {
			t.Errorf("the API key appears in Redis under %s", k)
		}
	}

	e.clock.Advance(1e9)
	q, _ := e.partner("northwind")
	all, err := e.s.Partners(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Partner{p, q}, all); diff != "" {
		t.Errorf("Partners (-want +got):\n%s", diff)
	}
}

func TestCreatePartnerInvalid(t *testing.T) {
	e := newEnv(t)
	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name, partner, email string
	}{
		{"empty name", "  ", "a@b.example"},
		{"long name", strings.Repeat("ä", 201), "a@b.example"},
		{"control char in name", "Con\x07toso", "a@b.example"},
		{"newline in name", "Con\ntoso", "a@b.example"},
		{"invalid UTF-8", "Con\xfftoso", "a@b.example"},
		{"empty email", "Contoso", ""},
		{"not an email", "Contoso", "contoso"},
		{"display name", "Contoso", "Sales <sales@contoso.example>"},
		{"two addresses", "Contoso", "a@b.example, c@d.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.s.CreatePartner(e.ctx, tc.partner, tc.email)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
			if !strings.HasPrefix(err.Error(), "partnerships: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	unchanged(t, e.rdb, before)

	if _, _, err := e.s.CreatePartner(e.ctx, strings.Repeat("ä", 200), "a@b.example"); err != nil {
		t.Errorf("200-character name: %v", err)
	}
}

func TestPartnerNotFound(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"", "pa_", "pa_aaaaaaaaaaaaaaaa", "pa_AAAAAAAAAAAAAAAA", "pa_{x}aaaaaaaaaaaa", "cu_aaaaaaaaaaaaaaaa"} {
		if _, err := e.s.Partner(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Partner(%q): err = %v, want ErrNotFound", id, err)
		}
	}
	all, err := e.s.Partners(e.ctx)
	if err != nil || len(all) != 0 {
		t.Errorf("Partners on an empty store = %v, %v; want none", all, err)
	}
}

func TestAPIKeys(t *testing.T) {
	e := newEnv(t)
	p, key1 := e.partner("contoso")
	q, keyQ := e.partner("northwind")
	key2, err := e.s.AddAPIKey(e.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if key2 == key1 || !validAPIKey(key2) {
		t.Fatalf("AddAPIKey = %q (first key %q)", key2, key1)
	}
	for key, want := range map[string]Partner{key1: p, key2: p, keyQ: q} {
		got, err := e.s.PartnerByAPIKey(e.ctx, key)
		if err != nil {
			t.Fatalf("PartnerByAPIKey(%s): %v", key, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PartnerByAPIKey(%s) (-want +got):\n%s", key, diff)
		}
	}

	flip := []byte(key1)
	flip[len(flip)-1] = map[bool]byte{true: 'b', false: 'a'}[flip[len(flip)-1] == 'a']
	for name, key := range map[string]string{
		"unknown":      newAPIKey(),
		"one char off": string(flip),
		"empty":        "",
		"no prefix":    strings.TrimPrefix(key1, "pl_"),
		"upper case":   strings.ToUpper(key1),
		"too long":     key1 + "a",
		"digest":       apiKeyDigest(key1),
	} {
		if _, err := e.s.PartnerByAPIKey(e.ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("PartnerByAPIKey(%s key): err = %v, want ErrNotFound", name, err)
		}
	}

	// The index and the partner record must agree.
	if err := e.rdb.HSet(e.ctx, partnerKey(p.ID), "api_keys", apiKeyDigest(key2)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PartnerByAPIKey(e.ctx, key1); !errors.Is(err, ErrNotFound) {
		t.Errorf("key in the index but not on the partner: err = %v, want ErrNotFound", err)
	}

	before := snapshot(t, e.rdb)
	for _, id := range []string{"pa_aaaaaaaaaaaaaaaa", "nope"} {
		if _, err := e.s.AddAPIKey(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("AddAPIKey(%q): err = %v, want ErrNotFound", id, err)
		}
	}
	unchanged(t, e.rdb, before)
}
