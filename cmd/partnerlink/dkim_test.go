package main

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
)

var txtLine = regexp.MustCompile(`(?m)^(\S+)\. TXT ((?:"[^"]*" ?)+)$`)

// publishedRecords reads the TXT records `partnerlink dns` printed, joining the
// quoted strings of each as a resolver does.
func publishedRecords(t *testing.T, out string) map[string]string {
	t.Helper()
	records := map[string]string{}
	for _, m := range txtLine.FindAllStringSubmatch(out, -1) {
		var v strings.Builder
		for _, q := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(m[2], -1) {
			v.WriteString(q[1])
		}
		records[m[1]] = v.String()
	}
	return records
}

// TestDNSRecordsVerifySentMail generates keys with `partnerlink keys dkim`, prints
// the records with `partnerlink dns`, sends a message signed as the worker signs
// it through a real SMTP server, and verifies what arrived with go-msgauth
// answering DNS only from the printed records. A changed body fails.
func TestDNSRecordsVerifySentMail(t *testing.T) {
	clearEnv(t)
	for _, typ := range []string{"rsa", "ed25519"} {
		t.Run(typ, func(t *testing.T) {
			dir := t.TempDir()
			var files []string
			for _, sel := range []string{"new", "old"} {
				r := runCmd(t, "keys", "dkim", "--type", typ)
				if r.code != 0 || !strings.HasPrefix(r.stdout, "-----BEGIN PRIVATE KEY-----") {
					t.Fatalf("keys dkim: %v", r)
				}
				f := filepath.Join(dir, sel+".pem")
				if err := os.WriteFile(f, []byte(r.stdout), 0o600); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			args := []string{"dns", "--dkim-key", strings.Join(files, ","), "--dkim-selector", "pl2026b,pl2026a",
				"--mail-from", "partnerlink <noreply@partners.example.com>"}
			r := runCmd(t, args...)
			if r.code != 0 {
				t.Fatalf("dns: %v", r)
			}
			records := publishedRecords(t, r.stdout)
			for name, prefix := range map[string]string{
				"pl2026b._domainkey.partners.example.com": "v=DKIM1; k=" + typ + "; p=",
				"pl2026a._domainkey.partners.example.com": "v=DKIM1; k=" + typ + "; p=",
				"partners.example.com":                    "v=spf1 ",
				"_dmarc.partners.example.com":             "v=DMARC1; p=",
			} {
				if !strings.HasPrefix(records[name], prefix) {
					t.Errorf("record %s = %q, want it to start %q:\n%s", name, records[name], prefix, r.stdout)
				}
			}

			sink, err := mailsink.Start(mailsink.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sink.Close() })
			mc, err := mailerConfig("smtp://"+sink.Addr()+"?tls=none", "partnerlink <noreply@partners.example.com>", nil)
			if err != nil {
				t.Fatal(err)
			}
			if mc.DKIM, err = dkimKeys(config{DKIMKey: strings.Join(files, ","), DKIMSelector: "pl2026b,pl2026a"}, "partners.example.com"); err != nil {
				t.Fatal(err)
			}
			m, err := mailer.New(mc, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if err := m.Send(t.Context(), mailer.Message{To: "admin@fabrikam.example", Subject: "Einladung", Text: "Guten Tag,\nbitte prüfen.\n", HTML: "<p>Guten Tag,</p>"}); err != nil {
				t.Fatal(err)
			}
			msgs, err := sink.Wait(t.Context(), 1)
			if err != nil {
				t.Fatal(err)
			}
			lookup := func(name string) ([]string, error) {
				if v, ok := records[strings.TrimSuffix(name, ".")]; ok {
					return []string{v}, nil
				}
				return nil, errors.New("no such record " + name)
			}
			for _, tt := range []struct {
				name  string
				raw   []byte
				valid bool
			}{
				{"as sent", msgs[0].Raw, true},
				{"body changed", bytes.Replace(msgs[0].Raw, []byte("Guten Tag"), []byte("Guten Abend"), 1), false},
			} {
				vs, err := dkim.VerifyWithOptions(bytes.NewReader(tt.raw), &dkim.VerifyOptions{LookupTXT: lookup})
				if err != nil || len(vs) != 1 {
					t.Fatalf("%s: %v, %v", tt.name, vs, err)
				}
				if (vs[0].Err == nil) != tt.valid || vs[0].Domain != "partners.example.com" {
					t.Errorf("%s: verification %+v (err %v), want valid=%t for partners.example.com", tt.name, vs[0], vs[0].Err, tt.valid)
				}
			}
		})
	}
}

func TestDNSCommand(t *testing.T) {
	clearEnv(t)
	key := filepath.Join(t.TempDir(), "k.pem")
	r := runCmd(t, "keys", "dkim", "--type", "rsa")
	if r.code != 0 {
		t.Fatalf("keys dkim: %v", r)
	}
	if err := os.WriteFile(key, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	dns := func(args ...string) []string {
		return append([]string{"dns", "--mail-from", "noreply@partners.example.com"}, args...)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout (exit 0) or stderr
	}{
		{"no key", dns("--dkim-selector", "s1"), 2, "--dkim-key (or PARTNERLINK_DKIM_KEY) is required"},
		{"two selectors, one key", dns("--dkim-key", key, "--dkim-selector", "s1,s2"), 2, "one selector per --dkim-key, 1 in all"},
		{"bad selector", dns("--dkim-key", key, "--dkim-selector", "a_b"), 2, `selector "a_b"`},
		{"no domain", []string{"dns", "--dkim-key", key, "--dkim-selector", "s1"}, 2, "--dkim-domain (PARTNERLINK_DKIM_DOMAIN) is required"},
		{"key type dsa", []string{"keys", "dkim", "--type", "dsa"}, 2, `"dsa": must be rsa or ed25519`},
		{"parent domain", dns("--dkim-key", key, "--dkim-selector", "s1", "--dkim-domain", "example.com"), 0, "s1._domainkey.example.com. TXT \"v=DKIM1; k=rsa; p="},
		{"unaligned domain", dns("--dkim-key", key, "--dkim-selector", "s1", "--dkim-domain", "other.example"), 0, "WARNING: the DKIM domain other.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.args...)
			out := r.stdout
			if tt.code != 0 {
				out = r.stderr
			}
			if r.code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("want exit %d with %q: %v", tt.code, tt.want, r)
			}
		})
	}
	if r := runCmd(t, dns("--dkim-key", key, "--dkim-selector", "s1", "--dkim-domain", "example.com")...); strings.Contains(r.stdout, "WARNING") {
		t.Errorf("a parent domain aligns, yet: %v", r)
	}
}
