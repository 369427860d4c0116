package mailer

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseURL parses an SMTP URL into a Config and validates it:
//
//	smtp://user:pass@host:port?tls=starttls&from=noreply@example.com&from_name=partnerlink
//	smtps://user:pass@host?from=noreply@example.com
//
// smtp:// defaults to tls=starttls (mandatory) and port 587; smtps:// means
// implicit TLS (tls=tls, the only value it allows) and defaults to port 465.
// tls=tls on smtp:// also defaults to port 465. User name and password are
// optional and must be percent-encoded. Query parameters: tls (none, starttls,
// opportunistic, tls), from (optional here; New requires a sender), from_name, helo, timeout (a Go duration
// such as 10s) and insecure_skip_verify (true/false, only for tests and dev).
// Errors name the bad part and never contain the password.
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's own message can quote part of a password (a "/" in it ends
		// the host early), so it is not passed on.
		return Config{}, fmt.Errorf("mailer: SMTP URL is malformed: check the port, and percent-encode special characters in the user name and password")
	}
	var c Config
	switch u.Scheme {
	case "smtp":
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return Config{}, fmt.Errorf("mailer: SMTP URL scheme %q: want smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return Config{}, fmt.Errorf("mailer: SMTP URL has no host: want %s://host[:port]", u.Scheme)
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, fmt.Errorf("mailer: SMTP URL path %q: want none", u.Path)
	}
	if u.Fragment != "" {
		return Config{}, fmt.Errorf("mailer: SMTP URL fragment %q: want none", u.Fragment)
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return Config{}, fmt.Errorf("mailer: SMTP URL port %q: want 1-65535", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return Config{}, fmt.Errorf("mailer: SMTP URL has a password but no user name")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("mailer: SMTP URL query: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		vs := q[k]
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("mailer: SMTP URL parameter %q is given %d times", k, len(vs))
		}
		if err := c.setParam(u.Scheme, k, vs[0]); err != nil {
			return Config{}, err
		}
	}
	// The sender may come from elsewhere (PARTNERLINK_MAIL_FROM): check the rest now,
	// and the sender when the mailer is built.
	probe := c
	if probe.From == "" {
		probe.From = "sender@example.com"
	}
	if err := probe.Validate(); err != nil {
		return Config{}, err
	}
	return c.withDefaults(), nil
}

// setParam applies one query parameter of the URL.
func (c *Config) setParam(scheme, k, v string) error {
	switch k {
	case "tls":
		p := TLSPolicy(strings.ToLower(v))
		switch p {
		case TLSNone, TLSStartTLS, TLSOpportunistic, TLSImplicit:
		default:
			return fmt.Errorf("mailer: SMTP URL parameter tls=%q: want none, starttls, opportunistic or tls", v)
		}
		if scheme == "smtps" && p != TLSImplicit {
			return fmt.Errorf("mailer: SMTP URL parameter tls=%q: smtps:// always uses implicit TLS (tls=tls)", v)
		}
		c.TLS = p
	case "from":
		c.From = v
	case "from_name":
		c.FromName = v
	case "helo":
		c.HeloName = v
	case "timeout":
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("mailer: SMTP URL parameter timeout=%q: want a positive duration such as 10s", v)
		}
		c.Timeout = d
	case "insecure_skip_verify":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("mailer: SMTP URL parameter insecure_skip_verify=%q: want true or false", v)
		}
		c.InsecureSkipVerify = b
	default:
		return fmt.Errorf("mailer: SMTP URL parameter %q is unknown (want tls, from, from_name, helo, timeout, insecure_skip_verify)", k)
	}
	return nil
}
