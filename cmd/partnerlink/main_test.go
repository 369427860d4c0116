package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestMain keeps go-redis's own log lines ("failed to dial after 5 attempts"),
// which it prints to os.Stderr whatever the command's stderr is, out of test output.
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{})
	os.Exit(m.Run())
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// result is what one run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s\n--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

// runCmd runs `partnerlink args…` through run, as main does, and waits for it.
func runCmd(t testing.TB, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// clearEnv unsets every PARTNERLINK_* setting for the test; t.Setenv restores them
// afterwards.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, s := range settings {
		t.Setenv(s.env, "")
		os.Unsetenv(s.env)
	}
}

// closedRedisURL is a Redis URL on a loopback port nothing listens on.
func closedRedisURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "redis://" + addr + "/0"
}

// syncBuffer is a bytes.Buffer that a running command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNoArgumentsPrintsUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		r := runCmd(t, args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("partnerlink %v: %v", args, r)
		}
		for name := range commands {
			if !strings.Contains(r.stdout, "  "+name+" ") {
				t.Errorf("partnerlink %v: usage does not list %q:\n%s", args, name, r.stdout)
			}
		}
		if !strings.Contains(r.stdout, "PARTNERLINK_") {
			t.Errorf("partnerlink %v: usage does not mention the PARTNERLINK_* variables:\n%s", args, r.stdout)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	r := runCmd(t, "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) || !strings.Contains(r.stderr, "Usage: partnerlink") {
		t.Errorf("%v", r)
	}
	if r.stdout != "" {
		t.Errorf("stdout should be empty: %q", r.stdout)
	}
}

// commandFlags is every flag each command takes; the settings among them (those in
// settings) must show their PARTNERLINK_* variable in --help.
var commandFlags = map[string][]string{
	"dev":                {"http-addr", "smtp-addr", "imap-addr", "agreements-dir", "invite-ttl", "api-rate", "link-rate", "log-format", "log-level", "reminders", "operator-key"},
	"serve":              {"redis-url", "http-addr", "base-url", "token-keys", "agreements-dir", "invite-ttl", "api-rate", "link-rate", "log-format", "log-level", "reminders", "operator-key", "smtp-url"},
	"worker":             {"redis-url", "smtp-url", "mail-from", "base-url", "token-keys", "concurrency", "smtp-conns", "log-format", "log-level", "dkim-key", "dkim-selector", "dkim-domain", "send-rate", "send-rate-minute", "send-rate-domain", "metrics-addr"},
	"partners add":       {"redis-url", "name", "email"},
	"partners list":      {"redis-url"},
	"customers add":      {"redis-url", "name", "domain", "admin-email", "admin-name", "admin-role"},
	"customers add-user": {"redis-url", "customer", "email", "name", "role"},
	"customers list":     {"redis-url"},
	"keys generate":      {"id"},
	"preview":            {"kind", "type", "locale", "part"},
	"inbox":              {"redis-url", "imap-url", "inbox-address", "trusted-authserv", "invite-ttl", "log-format", "log-level", "once", "reminders", "metrics-addr"},
	"dev-mail":           {"imap-addr", "file", "from", "to", "subject", "body"},
	"queues":             {"redis-url", "failed"},
	"health":             {"url", "timeout"},
	// Scheduler (sched).
	"scheduler": {"redis-url", "sweep-interval", "log-format", "log-level", "metrics-addr"},
	// Deliverability (deliver).
	"keys dkim":         {"type"},
	"dns":               {"dkim-key", "dkim-selector", "dkim-domain", "mail-from"},
	"suppressions list": {"redis-url"},
	"suppressions lift": {"redis-url"},
	// Directory.
	"partners update": {"redis-url", "id", "listed", "location", "sizes", "keywords", "description", "webhook-url", "webhook-secret"},
	// CLI fit and finish (cli).
	"invite":                   {"redis-url", "invite-ttl", "reminders", "partner", "email", "type", "roles", "locale", "message", "duration", "auto-extend", "csv", "dry-run"},
	"partners request-address": {"redis-url", "inbox-address", "partner"},
}

var flagLine = regexp.MustCompile(`(?m)^  -([a-z-]+)`)

func TestHelpListsEveryFlag(t *testing.T) {
	clearEnv(t)
	// A secret in the environment must not show up in --help as a "default".
	t.Setenv("PARTNERLINK_TOKEN_KEYS", "k1:c2VjcmV0LXRva2VuLWtleS10aGF0LW11c3Qtbm90LWxlYWs=")
	t.Setenv("PARTNERLINK_SMTP_URL", "smtp://user:hunter2@smtp.example.com:587")
	t.Setenv("PARTNERLINK_REDIS_URL", "redis://:hunter3@127.0.0.1:6379/0")
	for cmd, want := range commandFlags {
		t.Run(cmd, func(t *testing.T) {
			r := runCmd(t, append(strings.Fields(cmd), "--help")...)
			if r.code != 0 {
				t.Fatalf("%v", r)
			}
			if !strings.HasPrefix(r.stdout, "Usage: partnerlink "+cmd+" [flags]") {
				t.Errorf("help does not start with the usage line:\n%s", r.stdout)
			}
			var got []string
			for _, m := range flagLine.FindAllStringSubmatch(r.stdout, -1) {
				got = append(got, m[1])
			}
			if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
				t.Errorf("flags in --help = %v, want %v", got, want)
			}
			for _, n := range want {
				s, ok := settings[n]
				if !ok {
					continue
				}
				if !strings.Contains(helpOf(r.stdout, n), "(env "+s.env+")") {
					t.Errorf("--%s: help does not name %s:\n%s", n, s.env, helpOf(r.stdout, n))
				}
			}
			for _, secret := range []string{"c2VjcmV0", "hunter2", "hunter3"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("--help shows %q from the environment:\n%s", secret, r.stdout)
				}
			}
		})
	}
}

// helpOf returns the lines --help prints for flag n.
func helpOf(help, n string) string {
	_, rest, ok := strings.Cut(help, "\n  -"+n+" ")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n  -"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func TestCommandGroups(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		wantOut  string // on stdout
		wantErr  string // on stderr
		verbList []string
	}{
		{args: []string{"partners", "--help"}, code: 0, wantOut: "usage: partnerlink partners <verb>", verbList: []string{"add", "list"}},
		{args: []string{"customers", "-h"}, code: 0, wantOut: "usage: partnerlink customers <verb>", verbList: []string{"add", "add-user", "list"}},
		{args: []string{"keys", "help"}, code: 0, wantOut: "usage: partnerlink keys <verb>", verbList: []string{"dkim", "generate"}},
		{args: []string{"partners"}, code: 2, wantErr: "usage: partnerlink partners <verb>", verbList: []string{"add", "list"}},
		{args: []string{"customers", "delete"}, code: 2, wantErr: "usage: partnerlink customers <verb>", verbList: []string{"add", "add-user", "list"}},
		{args: []string{"keys"}, code: 2, wantErr: "usage: partnerlink keys <verb>", verbList: []string{"dkim", "generate"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCmd(t, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %v", r.code, tt.code, r)
			}
			out := r.stdout
			if tt.wantErr != "" {
				out = r.stderr
				if !strings.Contains(out, tt.wantErr) {
					t.Errorf("stderr does not contain %q: %v", tt.wantErr, r)
				}
			} else if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout does not contain %q: %v", tt.wantOut, r)
			}
			if want := "verbs: " + strings.Join(tt.verbList, " ") + " "; !strings.Contains(out, want) {
				t.Errorf("does not list the verbs as %q: %v", want, r)
			}
		})
	}
}
