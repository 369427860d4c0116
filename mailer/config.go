package mailer

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// TLSPolicy says how the connection to the SMTP server is encrypted.
type TLSPolicy string

// The TLS policies.
const (
	TLSNone          TLSPolicy = "none"          // plain text; only for local servers
	TLSStartTLS      TLSPolicy = "starttls"      // STARTTLS, mandatory: fail if the server lacks it
	TLSOpportunistic TLSPolicy = "opportunistic" // STARTTLS if the server offers it, else plain text
	TLSImplicit      TLSPolicy = "tls"           // implicit TLS from the first byte (SMTPS)
)

// Defaults applied by New for zero Config fields.
const (
	DefaultTLS     = TLSStartTLS
	DefaultPort    = 587 // submission; DefaultPortTLS with TLSImplicit
	DefaultPortTLS = 465
	DefaultTimeout = 15 * time.Second
)

// Config says which SMTP server to send through and as whom.
type Config struct {
	Host     string
	Port     int       // 0: DefaultPortTLS for TLSImplicit, else DefaultPort
	TLS      TLSPolicy // "": DefaultTLS
	Username string    // empty: no AUTH
	Password string
	From     string // envelope sender and From header address, e.g. noreply@example.com
	FromName string // From header display name, optional
	HeloName string // EHLO name; empty: the host name of this machine
	// Timeout bounds dialing and each SMTP exchange; 0: DefaultTimeout.
	Timeout time.Duration
	// InsecureSkipVerify skips TLS certificate checks: only for tests and dev.
	InsecureSkipVerify bool
	// DKIM lists the DKIM keys, newest first: the first signs every message. The
	// others are kept only so that their DNS records stay listed while a rotation
	// finishes (see DKIMKey.Record). Empty: messages are not signed.
	DKIM []DKIMKey
}

// withDefaults fills zero fields with the defaults.
func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = DefaultTLS
	}
	if c.Port == 0 {
		c.Port = DefaultPort
		if c.TLS == TLSImplicit {
			c.Port = DefaultPortTLS
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate reports what is wrong with c after defaults are applied. Its errors
// never contain the password.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("mailer: config: "+format, args...)) }
	if c.Host == "" {
		bad("host is empty")
	} else if strings.ContainsAny(c.Host, " /@?#") || hasControl(c.Host) {
		bad("host %q is not a host name", c.Host)
	}
	if c.Port < 1 || c.Port > 65535 {
		bad("port %d is out of range 1-65535", c.Port)
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSOpportunistic, TLSImplicit:
	default:
		bad("tls %q is not one of none, starttls, opportunistic, tls", c.TLS)
	}
	if c.Password != "" && c.Username == "" {
		bad("a password is set without a username")
	}
	if hasControl(c.Username) {
		bad("username contains control characters")
	}
	if c.From == "" {
		bad("from address is empty")
	} else if !bareAddress(c.From) {
		bad("from %q is not a plain email address", c.From)
	}
	if hasControl(c.FromName) {
		bad("from name contains control characters")
	}
	if strings.ContainsFunc(c.HeloName, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		bad("helo name %q contains spaces or control characters", c.HeloName)
	}
	if c.Timeout < 0 {
		bad("timeout %s is negative", c.Timeout)
	}
	seen := map[string]bool{}
	for _, k := range c.DKIM {
		if err := k.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("mailer: config: %w", err))
		}
		if seen[k.RecordName()] {
			bad("dkim selector %q is listed twice", k.Selector)
		}
		seen[k.RecordName()] = true
	}
	return errors.Join(errs...)
}

// LogValue logs c without its password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", string(c.TLS)),
		slog.String("username", c.Username), slog.Bool("password_set", c.Password != ""),
		slog.String("from", c.From), slog.Duration("timeout", c.Timeout),
		slog.Bool("insecure_skip_verify", c.InsecureSkipVerify), slog.String("dkim", c.dkimSummary()),
	)
}

// bareAddress reports whether s is a plain addr-spec such as a@example.com.
func bareAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// hasControl reports whether s contains a control character (CR and LF included).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// dkimSummary names the signing key for logs: "selector._domainkey.domain (rsa)".
func (c Config) dkimSummary() string {
	if len(c.DKIM) == 0 {
		return "off"
	}
	return c.DKIM[0].RecordName() + " (" + c.DKIM[0].Type() + ")"
}
