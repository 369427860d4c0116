package e2e

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// buildPartnerlink builds the real partnerlink binary (without -race, whatever the
// test binary was built with) into a temporary directory and returns its path.
func buildPartnerlink(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		tb.Fatalf("go env GOMOD: not inside the module (%q)", gomod)
	}
	bin := filepath.Join(tb.TempDir(), "partnerlink")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/partnerlink")
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/partnerlink: %v\n%s", err, b)
	}
	return bin
}

// imapLogin opens a plain IMAP connection (the test's Dovecot has no TLS).
func imapLogin(addr, user, pass string) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, pass).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// appendAll stores every message of raws in mailbox over one connection.
func appendAll(tb testing.TB, addr, user, pass, mailbox string, raws [][]byte) {
	tb.Helper()
	c, err := imapLogin(addr, user, pass)
	if err != nil {
		tb.Fatalf("imap log in: %v", err)
	}
	defer c.Close()
	for i, raw := range raws {
		cmd := c.Append(mailbox, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			tb.Fatalf("append message %d: %v", i, err)
		}
		if err := cmd.Close(); err != nil {
			tb.Fatalf("append message %d: %v", i, err)
		}
		if _, err := cmd.Wait(); err != nil {
			tb.Fatalf("append message %d: %v", i, err)
		}
	}
	_ = c.Logout().Wait()
}

// countMailbox returns how many messages mailbox holds (STATUS MESSAGES); 0 when
// it does not exist.
func countMailbox(addr, user, pass, mailbox string) (int, error) {
	c, err := imapLogin(addr, user, pass)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	d, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeNonExistent {
			return 0, nil
		}
		return 0, err
	}
	_ = c.Logout().Wait()
	if d.NumMessages == nil {
		return 0, nil
	}
	return int(*d.NumMessages), nil
}
