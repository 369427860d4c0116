package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/partnerlink/partnerlink/partnerships"
)

// partnersUpdate changes a partner's directory profile and webhook.
func partnersUpdate(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("partners update", "Changes a partner's directory profile and webhook. Only the flags given change.", stdout, "redis-url")
	id := f.fs.String("id", "", "the partner's id, pa_… (required)")
	listed := f.fs.Bool("listed", false, "list the partner in the find-a-partner directory (--listed=false removes it)")
	location := f.fs.String("location", "", "where the partner works, e.g. \"Berlin, Germany\"")
	sizes := f.fs.String("sizes", "", "comma list of the customer sizes it serves: "+strings.Join(partnerships.SizeBands(), ", "))
	keywords := f.fs.String("keywords", "", "comma list of keywords, e.g. \"azure,security,education\"")
	description := f.fs.String("description", "", "a short description shown in the directory")
	webhookURL := f.fs.String("webhook-url", "", "URL notifications are POSTed to, signed; \"\" removes the webhook. Prints a new secret unless --webhook-secret is given")
	webhookSecret := f.fs.String("webhook-secret", "", "the webhook's signing secret (16 to 200 characters); default: a generated one")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	if *id == "" {
		return configErrorf("--id is required")
	}
	var u partnerships.ProfileUpdate
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["listed"] {
		u.Listed = listed
	}
	if set["location"] {
		u.Location = location
	}
	if set["description"] {
		u.Description = description
	}
	if set["sizes"] {
		v := splitFlagList(*sizes)
		u.Sizes = &v
	}
	if set["keywords"] {
		v := splitFlagList(*keywords)
		u.Keywords = &v
	}
	generated := ""
	if set["webhook-url"] {
		u.WebhookURL = webhookURL
		if *webhookURL != "" && !set["webhook-secret"] {
			generated = partnerships.NewWebhookSecret()
			u.WebhookSecret = &generated
		}
	}
	if set["webhook-secret"] {
		u.WebhookSecret = webhookSecret
	}
	delete(set, "id")
	delete(set, "redis-url")
	if len(set) == 0 {
		return configErrorf("nothing to change: give --listed, --location, --sizes, --keywords, --description, --webhook-url or --webhook-secret")
	}
	store, done, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	p, err := store.UpdatePartnerProfile(ctx, *id, u)
	if err != nil {
		return inputError(err)
	}
	fmt.Fprintf(stdout, "partner %s updated: listed=%t location=%q sizes=%s keywords=%s webhook=%q\n",
		p.PartnerID, p.Listed, p.Location, strings.Join(p.Sizes, ","), strings.Join(p.Keywords, ","), p.WebhookURL)
	if generated != "" {
		fmt.Fprintf(stdout, "webhook secret (shown only this once; verify the %s header with it): %s\n", "Partnerlink-Signature", generated)
	}
	return nil
}

func splitFlagList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
