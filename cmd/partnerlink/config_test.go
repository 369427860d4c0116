package main

import (
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/tokens"
)

// testKeys is a valid PARTNERLINK_TOKEN_KEYS value.
func testKeys(t testing.TB) string {
	t.Helper()
	k, err := tokens.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	return tokens.FormatKeys([]tokens.Key{k})
}

// goodArgs are flags with which serve and worker pass validation and then fail at
// the first step that needs a peer: reaching Redis on redisURL.
func goodArgs(cmd, redisURL, keys string) []string {
	if cmd == "scheduler" { // Scheduler (sched)
		return []string{"--redis-url", redisURL, "--log-format", "json", "--log-level", "warn", "--sweep-interval", "30s",
			"--metrics-addr", "127.0.0.1:0"} // Observability (metrics)
	}
	args := []string{"--redis-url", redisURL, "--base-url", "https://partners.example.com", "--token-keys", keys,
		"--log-format", "json", "--log-level", "warn"}
	switch cmd {
	case "serve":
		args = append(args, "--invite-ttl", "2160h", "--http-addr", "127.0.0.1:0", "--api-rate", "100000", "--link-rate", "0",
			"--reminders", "72h,24h", "--operator-key", "op_0123456789abcdef",
			"--smtp-url", "smtp://127.0.0.1:2525?tls=none") // Observability (metrics): /readyz
	case "worker":
		args = append(args, "--smtp-url", "smtp://127.0.0.1:2525?tls=none", "--concurrency", "3", "--smtp-conns", "2",
			"--mail-from", "partnerlink <noreply@partners.example.com>")
		// Deliverability (deliver): no DKIM key, a pace.
		args = append(args, "--dkim-key", "", "--dkim-selector", "", "--dkim-domain", "",
			"--send-rate", "10", "--send-rate-minute", "600", "--send-rate-domain", "60")
		args = append(args, "--metrics-addr", "127.0.0.1:0") // Observability (metrics)
	}
	return args
}

// without returns args without flag --name and its value.
func without(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--"+name {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func TestConfigErrors(t *testing.T) {
	clearEnv(t)
	redisURL := closedRedisURL(t)
	keys := testKeys(t)
	const password = "hunter2-Pa55"
	tests := []struct {
		name string
		cmds []string          // commands the case applies to
		drop string            // good flag left out
		args []string          // appended to the good flags (a later flag wins)
		env  map[string]string // set for the case
		want []string          // in stderr
		hide []string          // never in stdout or stderr
	}{
		// Missing required settings name the flag and its variable.
		{name: "no base URL", cmds: []string{"serve", "worker"}, drop: "base-url", want: []string{"--base-url", "PARTNERLINK_BASE_URL", "is required"}},
		{name: "no token keys", cmds: []string{"serve", "worker"}, drop: "token-keys", want: []string{"--token-keys", "PARTNERLINK_TOKEN_KEYS", "is required"}},
		{name: "no SMTP URL", cmds: []string{"worker"}, drop: "smtp-url", want: []string{"--smtp-url", "PARTNERLINK_SMTP_URL", "is required"}},
		{name: "empty Redis URL", cmds: []string{"serve", "worker"}, args: []string{"--redis-url", " "}, want: []string{"--redis-url", "PARTNERLINK_REDIS_URL", "is required"}},
		{name: "blank base URL from env", cmds: []string{"serve"}, drop: "base-url", env: map[string]string{"PARTNERLINK_BASE_URL": "  "}, want: []string{"--base-url", "PARTNERLINK_BASE_URL", "is required"}},

		// Bad values.
		{name: "base URL without scheme", cmds: []string{"serve", "worker"}, args: []string{"--base-url", "partners.example.com"}, want: []string{"--base-url", "PARTNERLINK_BASE_URL", "scheme must be http or https"}},
		{name: "base URL with query", cmds: []string{"serve", "worker"}, args: []string{"--base-url", "https://partners.example.com/?a=b"}, want: []string{"--base-url", "PARTNERLINK_BASE_URL", "must not have a query"}},
		{name: "base URL with a password", cmds: []string{"serve"}, args: []string{"--base-url", "https://u:" + password + "@partners.example.com"}, want: []string{"--base-url", "user name or password"}},
		{name: "token keys malformed", cmds: []string{"serve", "worker"}, args: []string{"--token-keys", "k1"}, want: []string{"--token-keys", "PARTNERLINK_TOKEN_KEYS", "want id:base64secret"}},
		{name: "token key secret short", cmds: []string{"serve", "worker"}, args: []string{"--token-keys", "k1:c2hvcnQtc2VjcmV0"}, want: []string{"--token-keys", "PARTNERLINK_TOKEN_KEYS", "need at least 32"}},
		{name: "token key from env malformed", cmds: []string{"serve"}, drop: "token-keys", env: map[string]string{"PARTNERLINK_TOKEN_KEYS": "k1:!!!"}, want: []string{"--token-keys", "PARTNERLINK_TOKEN_KEYS", "not valid base64"}},
		{name: "invite TTL 0", cmds: []string{"serve"}, args: []string{"--invite-ttl", "0"}, want: []string{"--invite-ttl", "PARTNERLINK_INVITE_TTL", `"0"`, "between 1s and 2160h"}},
		{name: "invite TTL negative", cmds: []string{"serve"}, args: []string{"--invite-ttl", "-1h"}, want: []string{"--invite-ttl", "PARTNERLINK_INVITE_TTL", `"-1h"`}},
		{name: "invite TTL in days", cmds: []string{"serve"}, args: []string{"--invite-ttl", "91d"}, want: []string{"--invite-ttl", "PARTNERLINK_INVITE_TTL", `"91d"`}},
		{name: "invite TTL over 90 days", cmds: []string{"serve"}, args: []string{"--invite-ttl", "2161h"}, want: []string{"--invite-ttl", "PARTNERLINK_INVITE_TTL", `"2161h"`}},
		{name: "invite TTL from env", cmds: []string{"serve"}, drop: "invite-ttl", env: map[string]string{"PARTNERLINK_INVITE_TTL": "forever"}, want: []string{"--invite-ttl", "PARTNERLINK_INVITE_TTL", `"forever"`}},
		{name: "concurrency 0", cmds: []string{"worker"}, args: []string{"--concurrency", "0"}, want: []string{"--concurrency", "PARTNERLINK_WORKER_CONCURRENCY", `"0"`, "1 to 1000"}},
		{name: "concurrency x", cmds: []string{"worker"}, args: []string{"--concurrency", "x"}, want: []string{"--concurrency", "PARTNERLINK_WORKER_CONCURRENCY", `"x"`}},
		{name: "smtp conns 0", cmds: []string{"worker"}, args: []string{"--smtp-conns", "0"}, want: []string{"--smtp-conns", "PARTNERLINK_SMTP_CONNECTIONS", `"0"`, "1 to 100"}},
		{name: "smtp conns 101", cmds: []string{"worker"}, args: []string{"--smtp-conns", "101"}, want: []string{"--smtp-conns", "PARTNERLINK_SMTP_CONNECTIONS", `"101"`}},
		{name: "api rate x", cmds: []string{"serve"}, args: []string{"--api-rate", "x"}, want: []string{"--api-rate", "PARTNERLINK_API_RATE", `"x"`, "0 to 100000"}},
		{name: "api rate negative", cmds: []string{"serve"}, args: []string{"--api-rate", "-1"}, want: []string{"--api-rate", "PARTNERLINK_API_RATE", `"-1"`, "0 to 100000"}},
		{name: "api rate 100001", cmds: []string{"serve"}, args: []string{"--api-rate", "100001"}, want: []string{"--api-rate", "PARTNERLINK_API_RATE", `"100001"`}},
		{name: "api rate per second", cmds: []string{"serve"}, args: []string{"--api-rate", "10/s"}, want: []string{"--api-rate", "PARTNERLINK_API_RATE", `"10/s"`}},
		{name: "link rate x", cmds: []string{"serve"}, args: []string{"--link-rate", "x"}, want: []string{"--link-rate", "PARTNERLINK_LINK_RATE", `"x"`, "0 to 100000"}},
		{name: "link rate 1.5", cmds: []string{"serve"}, args: []string{"--link-rate", "1.5"}, want: []string{"--link-rate", "PARTNERLINK_LINK_RATE", `"1.5"`}},
		{name: "link rate 100001", cmds: []string{"serve"}, args: []string{"--link-rate", "100001"}, want: []string{"--link-rate", "PARTNERLINK_LINK_RATE", `"100001"`}},
		{name: "link rate from env", cmds: []string{"serve"}, drop: "link-rate", env: map[string]string{"PARTNERLINK_LINK_RATE": "-5"}, want: []string{"--link-rate", "PARTNERLINK_LINK_RATE", `"-5"`}},
		{name: "setting serve has", cmds: []string{"worker"}, args: []string{"--api-rate", "10"}, want: []string{"flag provided but not defined: -api-rate"}},
		{name: "log format xml", cmds: []string{"serve", "worker"}, args: []string{"--log-format", "xml"}, want: []string{"--log-format", "PARTNERLINK_LOG_FORMAT", `"xml"`, "text or json"}},
		{name: "log level loud", cmds: []string{"serve", "worker"}, args: []string{"--log-level", "loud"}, want: []string{"--log-level", "PARTNERLINK_LOG_LEVEL", `"loud"`, "debug, info, warn or error"}},
		{name: "log level from env", cmds: []string{"worker"}, drop: "log-level", env: map[string]string{"PARTNERLINK_LOG_LEVEL": "loud"}, want: []string{"--log-level", "PARTNERLINK_LOG_LEVEL", `"loud"`}},
		{name: "Redis URL http", cmds: []string{"serve", "worker"}, args: []string{"--redis-url", "http://x"}, want: []string{"--redis-url", "PARTNERLINK_REDIS_URL", "http"}},
		{name: "Redis URL with password and bad port", cmds: []string{"serve", "worker"}, args: []string{"--redis-url", "redis://user:" + password + "@127.0.0.1:port/0"}, want: []string{"--redis-url", "PARTNERLINK_REDIS_URL", "invalid port"}, hide: []string{password}},
		{name: "Redis URL with @ in password", cmds: []string{"serve"}, args: []string{"--redis-url", "redis://user:pa@ss-" + password + "@127.0.0.1:port/0"}, want: []string{"--redis-url", "invalid port"}, hide: []string{password}},
		{name: "Redis URL with quote in password", cmds: []string{"serve"}, args: []string{"--redis-url", `redis://user:"` + password + `@127.0.0.1:port/0`}, want: []string{"--redis-url", "invalid port"}, hide: []string{password}},
		{name: "SMTP URL ftp", cmds: []string{"worker"}, args: []string{"--smtp-url", "ftp://x"}, want: []string{"--smtp-url", "PARTNERLINK_SMTP_URL", `scheme "ftp"`}},
		{name: "SMTP URL with password and bad port", cmds: []string{"worker"}, args: []string{"--smtp-url", "smtp://user:" + password + "@smtp.example.com:port"}, want: []string{"--smtp-url", "PARTNERLINK_SMTP_URL", "malformed"}, hide: []string{password}},
		{name: "SMTP URL with password and bad tls", cmds: []string{"worker"}, args: []string{"--smtp-url", "smtp://user:" + password + "@smtp.example.com:587?tls=maybe"}, want: []string{"--smtp-url", "tls=\"maybe\""}, hide: []string{password}},
		{name: "SMTP URL with password but no user", cmds: []string{"worker"}, args: []string{"--smtp-url", "smtp://:" + password + "@smtp.example.com:587"}, want: []string{"--smtp-url", "no user name"}, hide: []string{password}},
		{name: "SMTP URL with password from env", cmds: []string{"worker"}, drop: "smtp-url", env: map[string]string{"PARTNERLINK_SMTP_URL": "smtps://user:" + password + "@smtp.example.com?tls=starttls"}, want: []string{"--smtp-url", "PARTNERLINK_SMTP_URL", "implicit TLS"}, hide: []string{password}},
		{name: "mail from malformed", cmds: []string{"worker"}, args: []string{"--mail-from", "not an address"}, want: []string{"--mail-from", "PARTNERLINK_MAIL_FROM"}},
		{name: "mail from name with line break", cmds: []string{"worker"}, args: []string{"--mail-from", "=?utf-8?q?Evil=0Ax?= <noreply@partners.example.com>"}, want: []string{"--mail-from", "control characters"}},
		// Deliverability (deliver).
		{name: "send rate x", cmds: []string{"worker"}, args: []string{"--send-rate", "x"}, want: []string{"--send-rate", "PARTNERLINK_SEND_RATE", `"x"`, "0 to 10000"}},
		{name: "send rate per minute negative", cmds: []string{"worker"}, args: []string{"--send-rate-minute", "-1"}, want: []string{"--send-rate-minute", "PARTNERLINK_SEND_RATE_MINUTE", `"-1"`}},
		{name: "send rate per domain 1.5", cmds: []string{"worker"}, args: []string{"--send-rate-domain", "1.5"}, want: []string{"--send-rate-domain", "PARTNERLINK_SEND_RATE_DOMAIN", `"1.5"`}},
		{name: "dkim key missing file", cmds: []string{"worker"}, args: []string{"--dkim-key", "/nonexistent/dkim.pem", "--dkim-selector", "s1"}, want: []string{"--dkim-key", "PARTNERLINK_DKIM_KEY", "/nonexistent/dkim.pem"}},
		{name: "dkim key not PEM", cmds: []string{"worker"}, args: []string{"--dkim-key", "-----BEGIN nonsense", "--dkim-selector", "s1"}, want: []string{"--dkim-key", "no PEM block"}},
		{name: "dkim key without selector", cmds: []string{"worker"}, args: []string{"--dkim-key", "/nonexistent/dkim.pem"}, want: []string{"--dkim-selector", "PARTNERLINK_DKIM_SELECTOR", "one selector per --dkim-key"}},
		{name: "dkim selector without key", cmds: []string{"worker"}, args: []string{"--dkim-selector", "s1"}, want: []string{"--dkim-selector", "--dkim-key", "is empty"}},
		{name: "agreements dir missing", cmds: []string{"serve"}, args: []string{"--agreements-dir", "/nonexistent/agreements"}, want: []string{"--agreements-dir", "PARTNERLINK_AGREEMENTS_DIR"}},

		// Scheduler (sched).
		{name: "reminders not durations", cmds: []string{"serve"}, args: []string{"--reminders", "7d,3d"}, want: []string{"--reminders", "PARTNERLINK_REMINDERS", `"7d,3d"`, "168h,72h,24h"}},
		{name: "reminders negative", cmds: []string{"serve"}, args: []string{"--reminders", "-1h"}, want: []string{"--reminders", "PARTNERLINK_REMINDERS"}},
		{name: "reminders over 90 days", cmds: []string{"serve"}, args: []string{"--reminders", "2161h"}, want: []string{"--reminders", "PARTNERLINK_REMINDERS"}},
		{name: "sweep interval 0", cmds: []string{"scheduler"}, args: []string{"--sweep-interval", "0s"}, want: []string{"--sweep-interval", "PARTNERLINK_SWEEP_INTERVAL", `"0s"`, "between 1s and 24h"}},
		{name: "sweep interval 25h", cmds: []string{"scheduler"}, args: []string{"--sweep-interval", "25h"}, want: []string{"--sweep-interval", "PARTNERLINK_SWEEP_INTERVAL", `"25h"`}},
		{name: "sweep interval from env", cmds: []string{"scheduler"}, drop: "sweep-interval", env: map[string]string{"PARTNERLINK_SWEEP_INTERVAL": "often"}, want: []string{"--sweep-interval", `"often"`}},
		{name: "no Redis URL for the scheduler", cmds: []string{"scheduler"}, args: []string{"--redis-url", " "}, want: []string{"--redis-url", "is required"}},

		// Usage errors.
		{name: "unknown flag", cmds: []string{"serve", "worker"}, args: []string{"--colour", "blue"}, want: []string{"flag provided but not defined: -colour"}},
		{name: "stray argument", cmds: []string{"serve", "worker"}, args: []string{"now"}, want: []string{`unexpected argument "now"`}},
		{name: "setting another command has", cmds: []string{"worker"}, args: []string{"--invite-ttl", "1h"}, want: []string{"flag provided but not defined: -invite-ttl"}},
	}
	for _, tt := range tests {
		for _, cmd := range tt.cmds {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				for k, v := range tt.env {
					t.Setenv(k, v)
				}
				args := append([]string{cmd}, goodArgs(cmd, redisURL, keys)...)
				if tt.drop != "" {
					args = without(args, tt.drop)
				}
				start := time.Now()
				r := runCmd(t, append(args, tt.args...)...)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2: %v", r.code, r)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("took %v: a config error must not wait for a peer", d)
				}
				if !strings.HasPrefix(r.stderr, "partnerlink "+cmd+": ") || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("want one line on stderr, prefixed %q: %q", "partnerlink "+cmd+": ", r.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("stderr does not contain %q: %q", w, r.stderr)
					}
				}
				for _, h := range tt.hide {
					if strings.Contains(r.stdout+r.stderr, h) {
						t.Errorf("output contains the secret %q: %v", h, r)
					}
				}
			})
		}
	}
}

// TestFlagsWinOverEnv sets every variable to a bad value and every flag to a good
// one: the command gets past validation and fails at its first peer, Redis on a
// closed port, with exit 1 — promptly.
func TestFlagsWinOverEnv(t *testing.T) {
	clearEnv(t)
	bad := map[string]string{
		"PARTNERLINK_REDIS_URL":          "http://x",
		"PARTNERLINK_SMTP_URL":           "ftp://user:hunter2@x",
		"PARTNERLINK_MAIL_FROM":          "not an address",
		"PARTNERLINK_HTTP_ADDR":          "nowhere",
		"PARTNERLINK_BASE_URL":           "partners.example.com",
		"PARTNERLINK_TOKEN_KEYS":         "k1",
		"PARTNERLINK_AGREEMENTS_DIR":     "/nonexistent/agreements",
		"PARTNERLINK_INVITE_TTL":         "91d",
		"PARTNERLINK_WORKER_CONCURRENCY": "x",
		"PARTNERLINK_SMTP_CONNECTIONS":   "0",
		"PARTNERLINK_API_RATE":           "fast",
		"PARTNERLINK_LINK_RATE":          "-1",
		"PARTNERLINK_LOG_FORMAT":         "xml",
		"PARTNERLINK_LOG_LEVEL":          "loud",
		"PARTNERLINK_IMAP_URL":           "ftp://x",
		"PARTNERLINK_INBOX_ADDRESS":      "not an address",
		"PARTNERLINK_TRUSTED_AUTHSERV":   "\n",
		// Scheduler (sched).
		"PARTNERLINK_REMINDERS":      "soon",
		"PARTNERLINK_SWEEP_INTERVAL": "0s",
		// Deliverability (deliver).
		"PARTNERLINK_DKIM_KEY":         "/nonexistent/dkim.pem",
		"PARTNERLINK_DKIM_SELECTOR":    "a b",
		"PARTNERLINK_DKIM_DOMAIN":      "not a domain",
		"PARTNERLINK_SEND_RATE":        "fast",
		"PARTNERLINK_SEND_RATE_MINUTE": "-1",
		"PARTNERLINK_SEND_RATE_DOMAIN": "1.5",
		"PARTNERLINK_OPERATOR_KEY":     "short",
		// Observability (metrics).
		"PARTNERLINK_METRICS_ADDR": "nowhere",
	}
	if len(bad) != len(settings) {
		t.Fatalf("the test sets %d variables, there are %d settings", len(bad), len(settings))
	}
	for k, v := range bad {
		t.Setenv(k, v)
	}
	keys := testKeys(t)
	for _, cmd := range []string{"serve", "worker", "scheduler"} {
		t.Run(cmd, func(t *testing.T) {
			redisURL := closedRedisURL(t)
			args := append([]string{cmd}, goodArgs(cmd, redisURL, keys)...)
			if cmd == "serve" {
				args = append(args, "--agreements-dir", "") // the embedded sample
			}
			wantUnreachable(t, args, redisURL)
		})
	}
}

// TestSettingsFromEnv gives serve and worker every setting by variable alone.
func TestSettingsFromEnv(t *testing.T) {
	clearEnv(t)
	redisURL := closedRedisURL(t)
	t.Setenv("PARTNERLINK_REDIS_URL", redisURL)
	t.Setenv("PARTNERLINK_SMTP_URL", "smtp://user:hunter2@127.0.0.1:2525?tls=none")
	t.Setenv("PARTNERLINK_BASE_URL", "https://partners.example.com/pl")
	t.Setenv("PARTNERLINK_TOKEN_KEYS", testKeys(t))
	t.Setenv("PARTNERLINK_INVITE_TTL", "1h")
	t.Setenv("PARTNERLINK_WORKER_CONCURRENCY", "1000")
	t.Setenv("PARTNERLINK_SMTP_CONNECTIONS", "100")
	t.Setenv("PARTNERLINK_API_RATE", "0")
	t.Setenv("PARTNERLINK_LINK_RATE", "100000")
	t.Setenv("PARTNERLINK_LOG_FORMAT", "json")
	t.Setenv("PARTNERLINK_LOG_LEVEL", "error")
	for _, cmd := range []string{"serve", "worker"} {
		t.Run(cmd, func(t *testing.T) {
			r := wantUnreachable(t, []string{cmd}, redisURL)
			if strings.Contains(r.stdout+r.stderr, "hunter2") {
				t.Errorf("output shows the SMTP password: %v", r)
			}
		})
	}
}

// wantUnreachable runs args and expects exit 1 because Redis at redisURL does not
// answer, within 6 seconds.
func wantUnreachable(t *testing.T, args []string, redisURL string) result {
	t.Helper()
	start := time.Now()
	r := runCmd(t, args...)
	took := time.Since(start)
	addr := strings.TrimSuffix(strings.TrimPrefix(redisURL, "redis://"), "/0")
	if r.code != 1 || !strings.Contains(r.stderr, "partnerlink "+args[0]+": cannot reach Redis at "+addr) {
		t.Errorf("want exit 1, cannot reach Redis at %s: %v", addr, r)
	}
	if took > 6*time.Second {
		t.Errorf("took %v to give up on Redis, want < 6s", took)
	}
	return r
}

// The rate settings become per-minute limits with bursts of a tenth, at least 10.
func TestPerMinute(t *testing.T) {
	tests := []struct {
		rate int
		want ratelimit.Limit
	}{
		{0, ratelimit.Limit{}},
		{1, ratelimit.Limit{Rate: 1, Per: time.Minute, Burst: 1}},
		{5, ratelimit.Limit{Rate: 5, Per: time.Minute, Burst: 5}},
		{60, ratelimit.Limit{Rate: 60, Per: time.Minute, Burst: 10}},
		{600, ratelimit.Limit{Rate: 600, Per: time.Minute, Burst: 60}},
		{100000, ratelimit.Limit{Rate: 100000, Per: time.Minute, Burst: 10000}},
	}
	for _, tt := range tests {
		if got := perMinute(tt.rate); got != tt.want {
			t.Errorf("perMinute(%d) = %+v, want %+v", tt.rate, got, tt.want)
		}
	}
}
