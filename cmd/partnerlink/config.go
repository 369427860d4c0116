package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/ratelimit"
)

// config is every setting partnerlink reads, from flags and PARTNERLINK_* variables.
type config struct {
	RedisURL        string
	SMTPURL         string
	MailFrom        string
	HTTPAddr        string
	BaseURL         string
	TokenKeys       string
	AgreementsDir   string
	InviteTTL       time.Duration
	Concurrency     int
	SMTPConns       int
	IMAPURL         string
	InboxAddress    string
	TrustedAuthServ string
	APIRate         int // API requests per minute per partner; 0: unlimited
	LinkRate        int // invitation link requests per minute per client address; 0: unlimited
	LogFormat       string
	LogLevel        string

	// Scheduler (sched).
	Reminders     []time.Duration // before an invitation's expiry
	SweepInterval time.Duration
	// Deliverability (deliver): DKIM signing and the send pace.
	DKIMKey        string // comma list of key files or PEM, newest first
	DKIMSelector   string // comma list of selectors, one per key
	DKIMDomain     string // the d= domain; empty: the sender's domain
	SendRate       int    // messages per second over all workers; 0: unlimited
	SendRateMinute int    // messages per minute over all workers; 0: unlimited
	SendRateDomain int    // messages per minute to one recipient domain; 0: unlimited
	OperatorKey    string // the operator API's key (directory); "": the operator API is off
	MetricsAddr    string // Observability (metrics): /metrics and /healthz of worker, scheduler, inbox; "": off
}

// configError is a setting that is missing or wrong; the process exits with 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// setting describes one flag and its environment variable.
type setting struct {
	flag, env, def, usage string
}

var settings = map[string]setting{
	"redis-url":        {"redis-url", "PARTNERLINK_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis URL: " + redisURLForms},
	"smtp-url":         {"smtp-url", "PARTNERLINK_SMTP_URL", "", "SMTP URL: smtp://user:pass@host:port?tls=starttls|opportunistic|none, or smtps://… for implicit TLS"},
	"mail-from":        {"mail-from", "PARTNERLINK_MAIL_FROM", "", `sender of every email, e.g. "partnerlink <noreply@example.com>" (default: noreply@ the base URL's host)`},
	"http-addr":        {"http-addr", "PARTNERLINK_HTTP_ADDR", "127.0.0.1:8080", "address the HTTP server listens on"},
	"base-url":         {"base-url", "PARTNERLINK_BASE_URL", "", "public URL every link starts with, e.g. https://partners.example.com"},
	"token-keys":       {"token-keys", "PARTNERLINK_TOKEN_KEYS", "", "token signing keys, newest first: id:base64secret[,id:base64secret…] (partnerlink keys generate)"},
	"agreements-dir":   {"agreements-dir", "PARTNERLINK_AGREEMENTS_DIR", "", "folder of customer agreement files <version>.<locale>.txt (default: the embedded sample)"},
	"invite-ttl":       {"invite-ttl", "PARTNERLINK_INVITE_TTL", "336h", "how long an invitation link stays valid (at most 2160h = 90 days)"},
	"concurrency":      {"concurrency", "PARTNERLINK_WORKER_CONCURRENCY", "10", "tasks a worker processes at once"},
	"imap-url":         {"imap-url", "PARTNERLINK_IMAP_URL", "", "IMAP URL of the inbox: imap://user:pass@host:143?tls=starttls|none&mailbox=INBOX&poll=30s (how often the mailbox is searched, IDLE or not), or imaps://… (port 993)"},
	"inbox-address":    {"inbox-address", "PARTNERLINK_INBOX_ADDRESS", "", "the address partners send requests to, e.g. partnerlink@example.com (a partner's secret request address is its local part + +<secret>, e.g. partnerlink+k3j…@example.com)"},
	"trusted-authserv": {"trusted-authserv", "PARTNERLINK_TRUSTED_AUTHSERV", "", "comma list of authserv-ids whose Authentication-Results headers are trusted (your receiving mail servers)"},
	"smtp-conns":       {"smtp-conns", "PARTNERLINK_SMTP_CONNECTIONS", "4", "SMTP connections a worker keeps open and reuses (1 to 100)"},
	"api-rate":         {"api-rate", "PARTNERLINK_API_RATE", "600", "API requests per minute per partner, with bursts of a tenth of that but at least 10 (0 to 100000; 0: unlimited)"},
	"link-rate":        {"link-rate", "PARTNERLINK_LINK_RATE", "60", "invitation link requests per minute per client address, with bursts of a tenth of that but at least 10 (0 to 100000; 0: unlimited)"},
	"log-format":       {"log-format", "PARTNERLINK_LOG_FORMAT", "text", "log format: text or json"},
	"log-level":        {"log-level", "PARTNERLINK_LOG_LEVEL", "info", "log level: debug, info, warn or error"},
	// Scheduler (sched).
	"reminders":      {"reminders", "PARTNERLINK_REMINDERS", "168h,72h,24h", `reminders before an invitation expires, a comma list of durations (default 7, 3 and 1 days before); "none" for none`},
	"sweep-interval": {"sweep-interval", "PARTNERLINK_SWEEP_INTERVAL", "1m", "how often the scheduler looks for due reminders, expiries and relationship ends (1s to 24h; a cron @every schedule)"},
	// Deliverability (deliver): DKIM signing and the send pace.
	"dkim-key":         {"dkim-key", "PARTNERLINK_DKIM_KEY", "", "DKIM private keys, newest first, comma separated: a PEM file path or the PEM itself (partnerlink keys dkim); the first signs, the others stay listed by partnerlink dns while a rotation finishes (empty: no signing)"},
	"dkim-selector":    {"dkim-selector", "PARTNERLINK_DKIM_SELECTOR", "", "DKIM selectors, one per --dkim-key in the same order, e.g. pl2026b,pl2026a"},
	"dkim-domain":      {"dkim-domain", "PARTNERLINK_DKIM_DOMAIN", "", "DKIM signing domain (d=), e.g. example.com (default: the sender address's domain)"},
	"send-rate":        {"send-rate", "PARTNERLINK_SEND_RATE", "0", "messages per second all workers together send at most (0 to 10000; 0: unlimited); a message over the limit waits, it is not dropped"},
	"send-rate-minute": {"send-rate-minute", "PARTNERLINK_SEND_RATE_MINUTE", "0", "messages per minute all workers together send at most (0 to 600000; 0: unlimited)"},
	"send-rate-domain": {"send-rate-domain", "PARTNERLINK_SEND_RATE_DOMAIN", "0", "messages per minute to any one recipient domain (0 to 100000; 0: unlimited)"},
	// Directory: the operator API.
	"operator-key": {"operator-key", "PARTNERLINK_OPERATOR_KEY", "", "key of the operator API /api/v1/admin/… (at least 16 characters; empty: the operator API is off)"},
	// Observability (metrics).
	"metrics-addr": {"metrics-addr", "PARTNERLINK_METRICS_ADDR", "", "address to serve Prometheus /metrics and /healthz on, e.g. 127.0.0.1:9090 (empty: off)"},
}

// flags parses one subcommand's flags: the named settings plus any the command adds.
type flags struct {
	fs                *flag.FlagSet
	cfg               config
	ttl               string
	conc              string
	conns             string
	apiRate, linkRate string
	sendRate          [3]string // send-rate, send-rate-minute, send-rate-domain (deliver)
	usedAs            map[string]bool

	reminders, sweep string // Scheduler (sched)
}

func newFlags(name, summary string, stdout io.Writer, names ...string) *flags {
	f := &flags{fs: flag.NewFlagSet(name, flag.ContinueOnError), usedAs: map[string]bool{}}
	f.fs.SetOutput(stdout)
	f.fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: partnerlink %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		f.fs.PrintDefaults()
	}
	for _, n := range names {
		s, ok := settings[n]
		if !ok {
			panic("unknown setting " + n)
		}
		f.usedAs[n] = true
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		// --help shows the built-in default, never the variable's value: that may
		// hold a secret (token keys, a password in a URL).
		f.fs.StringVar(f.target(n), n, s.def, usage)
		if v, ok := os.LookupEnv(s.env); ok {
			*f.target(n) = v
		}
	}
	return f
}

// parse parses args and validates every setting the command uses; required lists
// those that must not be empty.
func (f *flags) parse(args []string, required ...string) (config, error) {
	if err := f.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return config{}, err
		}
		return config{}, &configError{msg: err.Error()}
	}
	if f.fs.NArg() > 0 {
		return config{}, configErrorf("unexpected argument %q", f.fs.Arg(0))
	}
	for _, n := range required {
		if strings.TrimSpace(f.value(n)) == "" {
			s := settings[n]
			return config{}, configErrorf("--%s (or %s) is required: %s", n, s.env, s.usage)
		}
	}
	if f.usedAs["invite-ttl"] {
		d, err := time.ParseDuration(f.ttl)
		if err != nil || d < time.Second || d > 90*24*time.Hour {
			return config{}, configErrorf("--invite-ttl (PARTNERLINK_INVITE_TTL) %q: must be a duration between 1s and 2160h (90 days), e.g. 336h (14 days)", f.ttl)
		}
		f.cfg.InviteTTL = d
	}
	var err error
	if f.cfg.Concurrency, err = f.wholeNumber("concurrency", f.conc, 1, 1000); err != nil {
		return config{}, err
	}
	if f.cfg.SMTPConns, err = f.wholeNumber("smtp-conns", f.conns, 1, 100); err != nil {
		return config{}, err
	}
	if f.cfg.APIRate, err = f.wholeNumber("api-rate", f.apiRate, 0, 100000); err != nil {
		return config{}, err
	}
	if f.cfg.LinkRate, err = f.wholeNumber("link-rate", f.linkRate, 0, 100000); err != nil {
		return config{}, err
	}
	if f.cfg.SendRate, err = f.wholeNumber("send-rate", f.sendRate[0], 0, 10000); err != nil {
		return config{}, err
	}
	if f.cfg.SendRateMinute, err = f.wholeNumber("send-rate-minute", f.sendRate[1], 0, 600000); err != nil {
		return config{}, err
	}
	if f.cfg.SendRateDomain, err = f.wholeNumber("send-rate-domain", f.sendRate[2], 0, 100000); err != nil {
		return config{}, err
	}
	if f.usedAs["log-format"] && f.cfg.LogFormat != "text" && f.cfg.LogFormat != "json" {
		return config{}, configErrorf("--log-format (PARTNERLINK_LOG_FORMAT) %q: must be text or json", f.cfg.LogFormat)
	}
	if f.usedAs["operator-key"] && f.cfg.OperatorKey != "" && len(strings.TrimSpace(f.cfg.OperatorKey)) < 16 {
		return config{}, configErrorf("--operator-key (PARTNERLINK_OPERATOR_KEY): must have at least 16 characters")
	}
	if f.usedAs["log-level"] {
		if _, err := parseLevel(f.cfg.LogLevel); err != nil {
			return config{}, err
		}
	}
	if err := f.parseSchedule(); err != nil {
		return config{}, err
	}
	if err := f.parseMetricsAddr(); err != nil { // Observability (metrics)
		return config{}, err
	}
	return f.cfg, nil
}

// wholeNumber parses the value of integer setting n when the command uses it.
func (f *flags) wholeNumber(n, raw string, lo, hi int) (int, error) {
	if !f.usedAs[n] {
		return 0, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < lo || v > hi {
		return 0, configErrorf("--%s (%s) %q: must be a whole number from %d to %d", n, settings[n].env, raw, lo, hi)
	}
	return v, nil
}

// target is where the value of setting n lands.
func (f *flags) target(n string) *string {
	return map[string]*string{
		"redis-url": &f.cfg.RedisURL, "smtp-url": &f.cfg.SMTPURL, "mail-from": &f.cfg.MailFrom,
		"http-addr": &f.cfg.HTTPAddr, "base-url": &f.cfg.BaseURL, "token-keys": &f.cfg.TokenKeys,
		"agreements-dir": &f.cfg.AgreementsDir, "invite-ttl": &f.ttl, "concurrency": &f.conc, "imap-url": &f.cfg.IMAPURL, "inbox-address": &f.cfg.InboxAddress,
		"trusted-authserv": &f.cfg.TrustedAuthServ, "smtp-conns": &f.conns,
		"api-rate": &f.apiRate, "link-rate": &f.linkRate,
		"log-format": &f.cfg.LogFormat, "log-level": &f.cfg.LogLevel,
		"reminders": &f.reminders, "sweep-interval": &f.sweep, // Scheduler (sched)
		"dkim-key": &f.cfg.DKIMKey, "dkim-selector": &f.cfg.DKIMSelector, "dkim-domain": &f.cfg.DKIMDomain,
		"send-rate": &f.sendRate[0], "send-rate-minute": &f.sendRate[1], "send-rate-domain": &f.sendRate[2],
		"operator-key": &f.cfg.OperatorKey,
		"metrics-addr": &f.cfg.MetricsAddr, // Observability (metrics)
	}[n]
}

func (f *flags) value(name string) string {
	if fl := f.fs.Lookup(name); fl != nil {
		return fl.Value.String()
	}
	return ""
}

// perMinute is the limit of a --api-rate or --link-rate setting: rate requests a
// minute, in bursts of a tenth of the rate but at least 10 (never more than the
// rate itself), so a person clicking through the pages or a partner's batch job is
// not refused at its first quick steps. Rate 0 is unlimited.
func perMinute(rate int) ratelimit.Limit {
	if rate <= 0 {
		return ratelimit.Limit{}
	}
	return ratelimit.Limit{Rate: rate, Per: time.Minute, Burst: max(rate/10, min(rate, 10))}
}
