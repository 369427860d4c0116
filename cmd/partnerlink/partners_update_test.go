package main

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

var webhookSecretLine = regexp.MustCompile(`(?m)^webhook secret \(shown only this once; verify the Partnerlink-Signature header with it\): (whsec_[a-z2-7]{32})$`)

func TestPartnersUpdate(t *testing.T) {
	clearEnv(t)
	srv := testredis.Start(t)
	t.Setenv("PARTNERLINK_REDIS_URL", srv.URL)
	ctx := context.Background()
	store := partnerships.NewStore(srv.Client())
	p, _, err := store.CreatePartner(ctx, "Contoso", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}

	r := runCmd(t, "partners", "update", "--id", p.ID, "--listed", "--location", "Berlin", "--sizes", "1-10, 11-50",
		"--keywords", "Azure,security", "--description", "Cloud partner", "--webhook-url", "https://hooks.contoso.example/pl")
	m := webhookSecretLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("partners update: %v", r)
	}
	got, err := store.PartnerProfile(ctx, p.ID)
	if err != nil || !got.Listed || got.Location != "Berlin" || !slices.Equal(got.Sizes, []string{"1-10", "11-50"}) ||
		!slices.Equal(got.Keywords, []string{"azure", "security"}) || got.WebhookSecret != m[1] {
		t.Fatalf("profile = %+v, %v", got, err)
	}

	// An operator-chosen secret is stored and not printed.
	r = runCmd(t, "partners", "update", "--id", p.ID, "--webhook-url", "https://hooks.contoso.example/v2", "--webhook-secret", "my-own-secret-0123")
	if r.code != 0 || webhookSecretLine.MatchString(r.stdout) {
		t.Fatalf("partners update with a secret: %v", r)
	}
	if got, _ := store.PartnerProfile(ctx, p.ID); got.WebhookSecret != "my-own-secret-0123" || got.Location != "Berlin" {
		t.Errorf("profile = %+v", got)
	}

	for name, args := range map[string][]string{
		"no id":        {"partners", "update", "--listed"},
		"nothing":      {"partners", "update", "--id", p.ID},
		"bad size":     {"partners", "update", "--id", p.ID, "--sizes", "huge"},
		"bad url":      {"partners", "update", "--id", p.ID, "--webhook-url", "ftp://x"},
		"short secret": {"partners", "update", "--id", p.ID, "--webhook-secret", "x"},
	} {
		t.Run(name, func(t *testing.T) {
			before, _ := store.PartnerProfile(ctx, p.ID)
			if r := runCmd(t, args...); r.code != 2 {
				t.Errorf("exit %d, want 2: %v", r.code, r)
			}
			if after, _ := store.PartnerProfile(ctx, p.ID); !slices.Equal(after.Sizes, before.Sizes) || after.WebhookURL != before.WebhookURL || after.WebhookSecret != before.WebhookSecret {
				t.Errorf("a refused update changed the profile: %+v", after)
			}
		})
	}
}
