package mailer

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want Config
	}{
		{
			"smtp://user:pass@mail.example.com:2525?tls=starttls&from=noreply@example.com&from_name=partnerlink",
			Config{Host: "mail.example.com", Port: 2525, TLS: TLSStartTLS, Username: "user", Password: "pass", From: "noreply@example.com", FromName: "partnerlink", Timeout: DefaultTimeout},
		},
		{
			"smtp://mail.example.com?from=noreply@example.com",
			Config{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS, From: "noreply@example.com", Timeout: DefaultTimeout},
		},
		{
			"smtps://u%40x:p%2Fa%3As@mail.example.com?from=noreply@example.com",
			Config{Host: "mail.example.com", Port: 465, TLS: TLSImplicit, Username: "u@x", Password: "p/a:s", From: "noreply@example.com", Timeout: DefaultTimeout},
		},
		{
			"smtp://mail.example.com?tls=tls&from=noreply@example.com",
			Config{Host: "mail.example.com", Port: 465, TLS: TLSImplicit, From: "noreply@example.com", Timeout: DefaultTimeout},
		},
		{
			"smtp://127.0.0.1:1025/?tls=none&from=dev@localhost&helo=dev.local&timeout=3s&insecure_skip_verify=true&from_name=Partner%20Link",
			Config{Host: "127.0.0.1", Port: 1025, TLS: TLSNone, From: "dev@localhost", FromName: "Partner Link", HeloName: "dev.local", Timeout: 3 * time.Second, InsecureSkipVerify: true},
		},
		{
			"SMTP://[::1]:25?tls=OPPORTUNISTIC&from=a@example.com",
			Config{Host: "::1", Port: 25, TLS: TLSOpportunistic, From: "a@example.com", Timeout: DefaultTimeout},
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	const secret = "s3cr3tpw"
	tests := []struct{ in, wantPart string }{
		{"http://u:" + secret + "@h?from=a@example.com", `scheme "http"`},
		{"smtp:h?from=a@example.com", "no host"},
		{"smtp://u:" + secret + "@?from=a@example.com", "no host"},
		{"smtp://u:" + secret + "@h:99999?from=a@example.com", `port "99999"`},
		{"smtp://u:" + secret + "@h:abc?from=a@example.com", "malformed"},
		{"smtp://u:" + secret + "/x@h?from=a@example.com", "malformed"},
		{"smtp://u:" + secret + "%zz@h?from=a@example.com", "malformed"},
		{"smtp://:" + secret + "@h?from=a@example.com", "no user name"},
		{"smtp://u:" + secret + "@h/path?from=a@example.com", `path "/path"`},
		{"smtp://u:" + secret + "@h?from=not-an-address", `from "not-an-address"`},
		{"smtp://u:" + secret + "@h?from=Bob%20%3Cb@example.com%3E", "not a plain email address"},
		{"smtp://u:" + secret + "@h?from=a@example.com&tls=maybe", `tls="maybe"`},
		{"smtps://u:" + secret + "@h?from=a@example.com&tls=starttls", "smtps:// always uses implicit TLS"},
		{"smtp://u:" + secret + "@h?from=a@example.com&timeout=soon", `timeout="soon"`},
		{"smtp://u:" + secret + "@h?from=a@example.com&insecure_skip_verify=yesplease", `insecure_skip_verify="yesplease"`},
		{"smtp://u:" + secret + "@h?from=a@example.com&colour=blue", `parameter "colour" is unknown`},
		{"smtp://u:" + secret + "@h?from=a@example.com&from=b@example.com", `"from" is given 2 times`},
		{"smtp://u:" + secret + "@h?from=a@example.com&from_name=a%0Ab", "from name contains control characters"},
		{"smtp://u:" + secret + "@h?from=a@example.com#frag", `fragment "frag"`},
	}
	for _, tt := range tests {
		t.Run(tt.wantPart, func(t *testing.T) {
			_, err := ParseURL(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantPart) {
				t.Errorf("error %q does not name %q", msg, tt.wantPart)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, secret[:4]) {
				t.Errorf("error %q leaks the password", msg)
			}
			if !strings.HasPrefix(msg, "mailer: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Host: "mail.example.com", From: "a@example.com"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	tests := []struct {
		name     string
		mod      func(*Config)
		wantPart string
	}{
		{"no host", func(c *Config) { c.Host = "" }, "host is empty"},
		{"host with slash", func(c *Config) { c.Host = "a/b" }, "not a host name"},
		{"bad port", func(c *Config) { c.Port = 70000 }, "port 70000"},
		{"bad tls", func(c *Config) { c.TLS = "sometimes" }, `tls "sometimes"`},
		{"password only", func(c *Config) { c.Password = "x" }, "password is set without a username"},
		{"no from", func(c *Config) { c.From = "" }, "from address is empty"},
		{"from name LF", func(c *Config) { c.FromName = "a\nb" }, "from name contains"},
		{"helo space", func(c *Config) { c.HeloName = "a b" }, "helo name"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mod(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.wantPart) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantPart)
			}
			if _, err := New(c, nil); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

// The sender may be configured apart from the URL; New still requires one.
func TestParseURLWithoutFrom(t *testing.T) {
	c, err := ParseURL("smtp://mailpit:1025?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	if c.From != "" || c.Host != "mailpit" || c.Port != 1025 || c.TLS != TLSNone {
		t.Errorf("config = %+v", c)
	}
	if _, err := New(c, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "from address is empty") {
		t.Errorf("New without a sender: err = %v", err)
	}
}
