package partnerships

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestUpdatePartnerProfile(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	p, _ := e.partner("contoso")
	q, _ := e.partner("northwind")

	got, err := e.s.UpdatePartnerProfile(e.ctx, p.ID, ProfileUpdate{
		Listed: ptr(true), Location: ptr("  Berlin, Germany "), Sizes: ptr([]string{"11-50", "1-10", "11-50"}),
		Keywords: ptr([]string{"Azure", " security ", "", "azure"}), Description: ptr("Cloud partner"),
		WebhookURL: ptr("https://hooks.contoso.example/pl"), WebhookSecret: ptr("0123456789abcdef"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Listed || got.Location != "Berlin, Germany" || !slices.Equal(got.Sizes, []string{"11-50", "1-10"}) ||
		!slices.Equal(got.Keywords, []string{"azure", "security"}) || got.WebhookSecret != "0123456789abcdef" {
		t.Errorf("profile = %+v", got)
	}
	if _, err := e.s.UpdatePartnerProfile(e.ctx, q.ID, ProfileUpdate{Listed: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	list, err := e.s.ListedPartners(e.ctx)
	if err != nil || len(list) != 2 || !slices.ContainsFunc(list, func(x PartnerProfile) bool { return x.PartnerID == p.ID }) {
		t.Fatalf("ListedPartners = %+v, %v", list, err)
	}
	// Unlisting leaves the rest of the profile; removing the webhook removes its secret.
	got, err = e.s.UpdatePartnerProfile(e.ctx, q.ID, ProfileUpdate{Listed: ptr(false)})
	if err != nil || got.Listed {
		t.Fatalf("unlist = %+v, %v", got, err)
	}
	got, err = e.s.UpdatePartnerProfile(e.ctx, p.ID, ProfileUpdate{WebhookURL: ptr("")})
	if err != nil || got.WebhookURL != "" || got.WebhookSecret != "" || got.Location != "Berlin, Germany" {
		t.Fatalf("remove webhook = %+v, %v", got, err)
	}
	if list, _ := e.s.ListedPartners(e.ctx); len(list) != 1 {
		t.Errorf("after unlisting, %d listed, want 1", len(list))
	}
}

func TestUpdatePartnerProfileRefusals(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	p, _ := e.partner("contoso")
	tests := []struct {
		name string
		id   string
		u    ProfileUpdate
		want error
	}{
		{"unknown size", p.ID, ProfileUpdate{Listed: ptr(true), Sizes: ptr([]string{"5"})}, ErrInvalidInput},
		{"ftp webhook", p.ID, ProfileUpdate{WebhookURL: ptr("ftp://x.example/")}, ErrInvalidInput},
		{"webhook with credentials", p.ID, ProfileUpdate{WebhookURL: ptr("https://u:p@x.example/")}, ErrInvalidInput},
		{"short secret", p.ID, ProfileUpdate{WebhookURL: ptr("https://x.example/"), WebhookSecret: ptr("short")}, ErrInvalidInput},
		{"keyword with comma", p.ID, ProfileUpdate{Keywords: ptr([]string{"a,b"})}, ErrInvalidInput},
		{"location two lines", p.ID, ProfileUpdate{Location: ptr("a\nb")}, ErrInvalidInput},
		{"unknown partner", "pa_aaaaaaaaaaaaaaaa", ProfileUpdate{Listed: ptr(true)}, ErrNotFound},
		{"webhook without a secret", p.ID, ProfileUpdate{WebhookURL: ptr("https://x.example/")}, ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, e.rdb)
			if _, err := e.s.UpdatePartnerProfile(e.ctx, tt.id, tt.u); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func TestCreateLead(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	p, _ := e.partner("contoso")
	q, _ := e.partner("unlisted")
	if _, err := e.s.UpdatePartnerProfile(e.ctx, p.ID, ProfileUpdate{Listed: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	valid := NewLead{PartnerIDs: []string{p.ID, p.ID}, Name: "Ann Lee", Email: "Ann@Tailspin.example",
		Organisation: "Tailspin", Message: "We need a reseller", Locale: "de"}
	// Refusals first: the snapshot holds no lead whose TTL ticks.
	with := func(f func(*NewLead)) NewLead { v := valid; f(&v); return v }
	for name, tt := range map[string]struct {
		in   NewLead
		want error
	}{
		"no partner":       {with(func(l *NewLead) { l.PartnerIDs = nil }), ErrInvalidInput},
		"bad email":        {with(func(l *NewLead) { l.Email = "ann at tailspin" }), ErrInvalidInput},
		"empty message":    {with(func(l *NewLead) { l.Message = "  " }), ErrInvalidInput},
		"unlisted partner": {with(func(l *NewLead) { l.PartnerIDs = []string{p.ID, q.ID} }), ErrNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			before := snapshot(t, e.rdb)
			if _, err := e.s.CreateLead(e.ctx, tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			unchanged(t, e.rdb, before)
		})
	}
	l, err := e.s.CreateLead(e.ctx, valid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.s.Lead(e.ctx, l.ID)
	if err != nil || got.Email != "ann@tailspin.example" || !slices.Equal(got.PartnerIDs, []string{p.ID}) || got.Locale != "de" {
		t.Fatalf("Lead = %+v, %v", got, err)
	}
	if ttl := e.rdb.PTTL(e.ctx, leadKey(l.ID)).Val(); ttl <= LeadTTL-time.Minute || ttl > LeadTTL {
		t.Errorf("lead TTL = %v, want about %v", ttl, LeadTTL)
	}
	if _, err := e.s.Lead(e.ctx, "ld_aaaaaaaaaaaaaaaa"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown lead: err = %v", err)
	}
}
