package main

import (
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

func TestKeysGenerate(t *testing.T) {
	clearEnv(t)
	seen := map[string]bool{}
	for _, tt := range []struct {
		args   []string
		wantID string
	}{
		{[]string{"--id", "k2"}, "k2"},
		{[]string{"--id=2026-01_a"}, "2026-01_a"},
		{nil, "k1"},
		{nil, "k1"},
	} {
		r := runCmd(t, append([]string{"keys", "generate"}, tt.args...)...)
		if r.code != 0 || r.stderr != "" || !strings.HasSuffix(r.stdout, "\n") || strings.Count(r.stdout, "\n") != 1 {
			t.Fatalf("keys generate %v: want one line: %v", tt.args, r)
		}
		line := strings.TrimSuffix(r.stdout, "\n")
		keys, err := tokens.ParseKeys(line)
		if err != nil || len(keys) != 1 || keys[0].ID != tt.wantID {
			t.Fatalf("ParseKeys(%q) = %v, %v; want one key %q", line, keys, err, tt.wantID)
		}
		if _, err := newRing(line); err != nil {
			t.Errorf("--token-keys %q: %v", line, err)
		}
		_, secret, _ := strings.Cut(line, ":")
		if seen[secret] {
			t.Errorf("keys generate printed the same secret twice")
		}
		seen[secret] = true
	}
	for _, id := range []string{"", "has space", "a:b", "seventeen-chars-x", "k1,k2"} {
		r := runCmd(t, "keys", "generate", "--id", id)
		if r.code != 2 || !strings.Contains(r.stderr, "--id") || r.stdout != "" {
			t.Errorf("keys generate --id %q: %v", id, r)
		}
	}
}

func TestPreviewEveryTypeLocalePart(t *testing.T) {
	clearEnv(t)
	for _, typ := range partnerships.Types() {
		data, err := templates.Sample(templates.KindInvitation, typ)
		if err != nil {
			t.Fatal(err)
		}
		partner := data.(templates.InvitationData).PartnerName
		for _, locale := range templates.Locales() {
			for _, part := range []string{"subject", "text", "html", "all"} {
				args := []string{"preview", "--kind", "invitation", "--type", string(typ), "--locale", locale, "--part", part}
				r := runCmd(t, args...)
				if r.code != 0 || r.stderr != "" || strings.TrimSpace(r.stdout) == "" {
					t.Errorf("%v: %v", args, r)
					continue
				}
				if !strings.Contains(r.stdout, partner) {
					t.Errorf("%v: output does not name the partner %q:\n%s", args, partner, r.stdout)
				}
				switch part {
				case "subject":
					if strings.Count(r.stdout, "\n") != 1 {
						t.Errorf("%v: subject is not one line: %q", args, r.stdout)
					}
				case "html":
					if !strings.Contains(r.stdout, "<html") || !strings.Contains(r.stdout, `lang="`+locale+`"`) {
						t.Errorf("%v: not an HTML document in %s:\n%s", args, locale, r.stdout)
					}
				case "all":
					for _, s := range []string{"Subject: ", "--- text ---", "--- html ---"} {
						if !strings.Contains(r.stdout, s) {
							t.Errorf("%v: no %q", args, s)
						}
					}
				}
			}
		}
	}
	// The defaults: an invitation of type delegated_admin in English.
	if r := runCmd(t, "preview", "--part", "subject"); r.code != 0 || !strings.Contains(r.stdout, "delegated administrator") {
		t.Errorf("preview with defaults: %v", r)
	}
}

func TestPreviewErrors(t *testing.T) {
	clearEnv(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--type", "friend"}, "--type"},
		{[]string{"--type", ""}, "--type"},
		{[]string{"--locale", "fr"}, `"fr"`},
		{[]string{"--part", "body"}, `--part "body": must be subject, text, html or all`},
		{[]string{"--kind", "digest"}, `--kind "digest"`}, // "reminder" is a kind now (sched)
		{[]string{"--format", "x"}, "flag provided but not defined"},
		{[]string{"reseller"}, `unexpected argument "reseller"`},
	} {
		r := runCmd(t, append([]string{"preview"}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("preview %v: want exit 2 with %q: %v", tt.args, tt.want, r)
		}
		if r.stdout != "" && tt.want != "flag provided but not defined" {
			t.Errorf("preview %v printed %q", tt.args, r.stdout)
		}
	}
}
