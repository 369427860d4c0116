package inbox

import (
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TLSMode is how the connection to the IMAP server is secured.
type TLSMode string

const (
	TLSNone     TLSMode = "none"     // plain TCP: only to a loopback address
	TLSStartTLS TLSMode = "starttls" // plain TCP upgraded with STARTTLS (mandatory)
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (imaps, port 993)
)

// Config says which mailbox a Watcher reads and where handled messages go.
type Config struct {
	Addr               string  // host:port
	TLS                TLSMode // default starttls
	Username, Password string
	InsecureSkipVerify bool // only for tests and dev

	Mailbox         string // default "INBOX"
	ProcessedFolder string // default "Processed"; created if missing
	RejectedFolder  string // default "Rejected"; created if missing

	Account string // names the mailbox's Redis keys; default Username@Addr

	// PollInterval is how often to look for new mail: the only way when the
	// server lacks IDLE, and between IDLE's notices otherwise (a server need not
	// announce mail that came just before IDLE began); default 30s.
	PollInterval time.Duration
	IdleRefresh  time.Duration // re-issue IDLE before servers drop it (RFC 2177: 29 min), when PollInterval is longer; default 25m
}

// LogValue keeps the password out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("tls", string(c.TLS)),
		slog.String("user", c.Username), slog.String("mailbox", c.Mailbox),
		slog.String("account", c.Account),
	)
}

func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	if c.ProcessedFolder == "" {
		c.ProcessedFolder = "Processed"
	}
	if c.RejectedFolder == "" {
		c.RejectedFolder = "Rejected"
	}
	if c.Account == "" {
		c.Account = c.Username + "@" + c.Addr
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 30 * time.Second
	}
	if c.IdleRefresh <= 0 {
		c.IdleRefresh = 25 * time.Minute
	}
	return c
}

// validate checks a Config after withDefaults.
func (c Config) validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("inbox: address %q: want host:port", c.Addr)
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(host) {
			return fmt.Errorf("inbox: tls=none sends the password in clear: allowed only to a loopback host, not %q", host)
		}
	default:
		return fmt.Errorf("inbox: TLS mode %q: want none, starttls or tls", c.TLS)
	}
	if c.Username == "" {
		return fmt.Errorf("inbox: no user name")
	}
	if c.Password == "" {
		return fmt.Errorf("inbox: no password for user %q", c.Username)
	}
	names := map[string]string{"mailbox": c.Mailbox, "processed folder": c.ProcessedFolder, "rejected folder": c.RejectedFolder}
	for _, k := range slices.Sorted(maps.Keys(names)) {
		if strings.ContainsAny(names[k], "*%\r\n") {
			return fmt.Errorf("inbox: %s %q: must not contain *, %% or line breaks", k, names[k])
		}
	}
	if c.ProcessedFolder == c.Mailbox || c.RejectedFolder == c.Mailbox {
		return fmt.Errorf("inbox: the processed and rejected folders must differ from the mailbox %q", c.Mailbox)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseURL parses an IMAP URL into a Config and validates it:
//
//	imap://user:pass@host:143?tls=starttls&mailbox=INBOX&processed=Processed&rejected=Rejected
//	imaps://user:pass@host
//
// imap:// defaults to tls=starttls and port 143; imaps:// means implicit TLS
// (tls=tls, the only value it allows) and defaults to port 993, as does tls=tls
// on imap://. tls=none is
// allowed only for a loopback host. User name and password are required and must
// be percent-encoded. Query parameters: tls (none, starttls, tls), mailbox,
// processed, rejected, account, poll (a Go duration such as 30s) and
// insecure_skip_verify (true/false, only for tests and dev). Errors name the bad
// part and never contain the password.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's own message can quote part of a password (a "/" in it ends
		// the host early), so it is not passed on.
		return Config{}, fmt.Errorf("inbox: IMAP URL is malformed: check the port, and percent-encode special characters in the user name and password")
	}
	var c Config
	switch u.Scheme {
	case "imap":
		c.TLS = TLSStartTLS
	case "imaps":
		c.TLS = TLSImplicit
	default:
		return Config{}, fmt.Errorf("inbox: IMAP URL scheme %q: want imap or imaps", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return Config{}, fmt.Errorf("inbox: IMAP URL has no host: want %s://user:password@host[:port]", u.Scheme)
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, fmt.Errorf("inbox: IMAP URL path %q: want none (name the mailbox with ?mailbox=)", u.Path)
	}
	if u.Fragment != "" {
		return Config{}, fmt.Errorf("inbox: IMAP URL fragment %q: want none", u.Fragment)
	}
	port := u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("inbox: IMAP URL port %q: want 1-65535", port)
		}
	}
	if u.User == nil || u.User.Username() == "" {
		return Config{}, fmt.Errorf("inbox: IMAP URL has no user name: want %s://user:password@host", u.Scheme)
	}
	c.Username = u.User.Username()
	c.Password, _ = u.User.Password()
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("inbox: IMAP URL query is malformed: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		vs := q[k]
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("inbox: IMAP URL parameter %q is given %d times", k, len(vs))
		}
		if err := c.setParam(u.Scheme, k, vs[0]); err != nil {
			return Config{}, err
		}
	}
	if port == "" {
		port = "143"
		if c.TLS == TLSImplicit {
			port = "993"
		}
	}
	c.Addr = net.JoinHostPort(u.Hostname(), port)
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// setParam applies one query parameter of the URL.
func (c *Config) setParam(scheme, k, v string) error {
	switch k {
	case "tls":
		m := TLSMode(strings.ToLower(v))
		switch m {
		case TLSNone, TLSStartTLS, TLSImplicit:
		default:
			return fmt.Errorf("inbox: IMAP URL parameter tls=%q: want none, starttls or tls", v)
		}
		if scheme == "imaps" && m != TLSImplicit {
			return fmt.Errorf("inbox: IMAP URL parameter tls=%q: imaps:// always uses implicit TLS (tls=tls)", v)
		}
		c.TLS = m
	case "mailbox":
		c.Mailbox = v
	case "processed":
		c.ProcessedFolder = v
	case "rejected":
		c.RejectedFolder = v
	case "account":
		c.Account = v
	case "poll":
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("inbox: IMAP URL parameter poll=%q: want a positive duration such as 30s", v)
		}
		c.PollInterval = d
	case "insecure_skip_verify":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("inbox: IMAP URL parameter insecure_skip_verify=%q: want true or false", v)
		}
		c.InsecureSkipVerify = b
	default:
		return fmt.Errorf("inbox: IMAP URL parameter %q is unknown (want tls, mailbox, processed, rejected, account, poll, insecure_skip_verify)", k)
	}
	return nil
}
