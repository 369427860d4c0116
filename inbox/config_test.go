package inbox

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want Config
	}{
		{"imap://bot:s3cret@mail.example.com", Config{
			Addr: "mail.example.com:143", TLS: TLSStartTLS, Username: "bot", Password: "s3cret",
			Mailbox: "INBOX", ProcessedFolder: "Processed", RejectedFolder: "Rejected",
			Account: "bot@mail.example.com:143", PollInterval: 30 * time.Second, IdleRefresh: 25 * time.Minute,
		}},
		{"imaps://partnerlink%40example.com:p%2Fw@mail.example.com?mailbox=Requests&processed=Done&rejected=Junk/Rejected&account=main&poll=1m", Config{
			Addr: "mail.example.com:993", TLS: TLSImplicit, Username: "partnerlink@example.com", Password: "p/w",
			Mailbox: "Requests", ProcessedFolder: "Done", RejectedFolder: "Junk/Rejected",
			Account: "main", PollInterval: time.Minute, IdleRefresh: 25 * time.Minute,
		}},
		{"imap://bot:s3cret@mail.example.com:1143?tls=tls&insecure_skip_verify=true", Config{
			Addr: "mail.example.com:1143", TLS: TLSImplicit, Username: "bot", Password: "s3cret", InsecureSkipVerify: true,
			Mailbox: "INBOX", ProcessedFolder: "Processed", RejectedFolder: "Rejected",
			Account: "bot@mail.example.com:1143", PollInterval: 30 * time.Second, IdleRefresh: 25 * time.Minute,
		}},
		{"imap://bot:s3cret@127.0.0.1:1143?tls=none", Config{
			Addr: "127.0.0.1:1143", TLS: TLSNone, Username: "bot", Password: "s3cret",
			Mailbox: "INBOX", ProcessedFolder: "Processed", RejectedFolder: "Rejected",
			Account: "bot@127.0.0.1:1143", PollInterval: 30 * time.Second, IdleRefresh: 25 * time.Minute,
		}},
		{"imap://bot:s3cret@[::1]?tls=none", Config{
			Addr: "[::1]:143", TLS: TLSNone, Username: "bot", Password: "s3cret",
			Mailbox: "INBOX", ProcessedFolder: "Processed", RejectedFolder: "Rejected",
			Account: "bot@[::1]:143", PollInterval: 30 * time.Second, IdleRefresh: 25 * time.Minute,
		}},
		{"imap://bot:s3cret@localhost?tls=none", Config{
			Addr: "localhost:143", TLS: TLSNone, Username: "bot", Password: "s3cret",
			Mailbox: "INBOX", ProcessedFolder: "Processed", RejectedFolder: "Rejected",
			Account: "bot@localhost:143", PollInterval: 30 * time.Second, IdleRefresh: 25 * time.Minute,
		}},
	} {
		got, err := ParseURL(tc.url)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.url, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseURL(%q) (-want +got):\n%s", tc.url, diff)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"pop3://bot:s3cret@mail.example.com", `scheme "pop3"`},
		{"imap://bot:s3cret@mail.example.com?tls=none", "loopback"},
		{"imap://bot:s3cret@10.0.0.1?tls=none", "loopback"},
		{"imaps://bot:s3cret@mail.example.com?tls=starttls", "imaps:// always uses implicit TLS"},
		{"imap://bot:s3cret@mail.example.com?tls=maybe", "want none, starttls or tls"},
		{"imap://mail.example.com", "no user name"},
		{"imap://:s3cret@mail.example.com", "no user name"},
		{"imap://bot@mail.example.com", "no password"},
		{"imap://bot:s3cret@", "no host"},
		{"imap://bot:s3cret@mail.example.com:99999", `port "99999"`},
		{"imap://bot:s3cr/et@mail.example.com", "malformed"}, // an unencoded "/" ends the host early
		{"imap://bot:s3cret@mail.example.com/INBOX", "path"},
		{"imap://bot:s3cret@mail.example.com?folder=x", `parameter "folder" is unknown`},
		{"imap://bot:s3cret@mail.example.com?mailbox=a&mailbox=b", "given 2 times"},
		{"imap://bot:s3cret@mail.example.com?poll=soon", "poll="},
		{"imap://bot:s3cret@mail.example.com?processed=INBOX", "must differ"},
		{"imap://bot:s3cret@mail.example.com?mailbox=*", "must not contain"},
		{"imap://bot:s3cret@mail.example.com?insecure_skip_verify=perhaps", "true or false"},
		{"imap://bot:s3cret@mail.example.com#frag", "fragment"},
	} {
		_, err := ParseURL(tc.url)
		if err == nil {
			t.Errorf("ParseURL(%q) = nil error, want %q", tc.url, tc.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("ParseURL(%q) = %q, want it to say %q", tc.url, msg, tc.want)
		}
		if !strings.HasPrefix(msg, "inbox: ") {
			t.Errorf("ParseURL(%q) = %q, want the package prefix", tc.url, msg)
		}
		if strings.Contains(msg, "s3cr") {
			t.Errorf("ParseURL(%q) = %q shows the password", tc.url, msg)
		}
	}
}

func TestConfigLogValueHidesPassword(t *testing.T) {
	c := Config{Addr: "mail.example.com:993", Username: "bot", Password: "s3cret"}
	if s := c.LogValue().String(); strings.Contains(s, "s3cret") {
		t.Errorf("LogValue = %s", s)
	}
}
