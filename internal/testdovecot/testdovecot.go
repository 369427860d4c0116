// Package testdovecot starts a real Dovecot IMAP server for a test: on a free
// loopback port, plain IMAP (no TLS), one user with a random password, maildir
// storage and all state in the test's temporary directory, stopped when the test
// ends. Debian's dovecot-imapd provides it (scripts/test.sh installs it).
//
// Run as root, Dovecot refuses root for its login and mail processes, so the
// server then uses the dovecot and dovenull users the Debian package creates, and
// the temporary directory is made readable for them. Run as anyone else, every
// process runs as that user.
package testdovecot

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"

	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Server is one running Dovecot.
type Server struct {
	Addr     string // 127.0.0.1:port, plain IMAP
	User     string
	Password string
	Dir      string // holds dovecot.conf, dovecot.log and the mail

	cmd  *exec.Cmd
	done chan struct{}
}

// binary is where Debian installs Dovecot; PATH is searched if it is not there.
const binary = "/usr/sbin/dovecot"

// Start returns a running Dovecot for tb.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := binary
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("dovecot"); err != nil {
			tb.Fatalf("testdovecot: dovecot is not installed: run ./scripts/test.sh (it installs dovecot-imapd)")
		}
	}
	s := &Server{Dir: tb.TempDir(), User: "partnerlink", Password: randomHex(tb, 16), done: make(chan struct{})}
	run, err := runAs(tb, s.Dir)
	if err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}
	port := freePort(tb)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o755); err != nil {
			tb.Fatalf("testdovecot: %v", err)
		}
	}
	if err := os.Chown(filepath.Join(s.Dir, "mail"), run.mailUID, run.mailGID); err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s\n", s.User, s.Password)
	if err := os.WriteFile(filepath.Join(s.Dir, "passwd"), []byte(passwd), 0o644); err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}
	conf := filepath.Join(s.Dir, "dovecot.conf")
	if err := os.WriteFile(conf, []byte(config(s.Dir, port, run)), 0o644); err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}

	s.cmd = exec.Command(bin, "-F", "-c", conf)
	// Its own process group, so that stop ends Dovecot's children too.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(s.Dir, "stdout.log"))
	if err != nil {
		tb.Fatalf("testdovecot: %v", err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("testdovecot: start %s: %v", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		out.Close()
		close(s.done)
	}()
	tb.Cleanup(s.stop)
	s.waitReady(tb, bin, conf)
	return s
}

// runUser says which users Dovecot's processes run as.
type runUser struct {
	internal, login  string // default_internal_user, default_login_user
	group            string // default_internal_group
	mailUID, mailGID int    // the mail user's uid and gid (userdb)
}

func runAs(tb testing.TB, dir string) (runUser, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return runUser{}, err
		}
		g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
		if err != nil {
			return runUser{}, err
		}
		return runUser{internal: u.Username, group: g.Name, login: u.Username, mailUID: os.Getuid(), mailGID: os.Getgid()}, nil
	}
	d, err := user.Lookup("dovecot")
	if err != nil {
		return runUser{}, fmt.Errorf("running as root, and there is no dovecot user: %w (dovecot-core creates it)", err)
	}
	if _, err := user.Lookup("dovenull"); err != nil {
		return runUser{}, fmt.Errorf("running as root, and there is no dovenull user: %w (dovecot-core creates it)", err)
	}
	g, err := user.LookupGroupId(d.Gid)
	if err != nil {
		return runUser{}, err
	}
	uid, _ := strconv.Atoi(d.Uid)
	gid, _ := strconv.Atoi(d.Gid)
	// The mail process (user dovecot) must reach the mail under dir: open dir and
	// the test's directory above it for traversal.
	for _, p := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(p, 0o755); err != nil {
			return runUser{}, err
		}
	}
	return runUser{internal: "dovecot", group: g.Name, login: "dovenull", mailUID: uid, mailGID: gid}, nil
}

// config is a dovecot.conf for Dovecot 2.3 with one plain IMAP listener and
// everything else in dir.
func config(dir string, port int, run runUser) string {
	return fmt.Sprintf(`# written by internal/testdovecot
protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = %[3]s
default_internal_group = %[4]s
default_login_user = %[5]s
first_valid_uid = %[6]d
last_valid_uid = 0
first_valid_gid = %[7]d
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[6]d gid=%[7]d home=%[1]s/mail/%%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
`, dir, port, run.internal, run.group, run.login, run.mailUID, run.mailGID)
}

// waitReady waits until Dovecot accepts a login.
func (s *Server) waitReady(tb testing.TB, bin, conf string) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			s.fail(tb, bin, conf, "dovecot exited")
		default:
		}
		var c *imapclient.Client
		if c, err = s.login(); err == nil {
			_ = c.Logout().Wait()
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.fail(tb, bin, conf, fmt.Sprintf("no login within 15s: %v", err))
}

func (s *Server) fail(tb testing.TB, bin, conf, why string) {
	tb.Helper()
	n, _ := exec.Command(bin, "-n", "-c", conf).CombinedOutput()
	log, _ := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	out, _ := os.ReadFile(filepath.Join(s.Dir, "stdout.log"))
	tb.Fatalf("testdovecot: %s\n--- dovecot -n:\n%s\n--- dovecot.log:\n%s\n--- output:\n%s", why, n, log, out)
}

// stop kills Dovecot and its children (a graceful shutdown takes seconds).
func (s *Server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

func (s *Server) login() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, &imapclient.Options{Dialer: &net.Dialer{Timeout: 2 * time.Second}})
	if err != nil {
		return nil, err
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// client returns a logged-in client, closed when the test ends.
func (s *Server) client(tb testing.TB) *imapclient.Client {
	tb.Helper()
	c, err := s.login()
	if err != nil {
		tb.Fatalf("testdovecot: log in: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Append stores a message in mailbox, creating the mailbox if missing.
func (s *Server) Append(tb testing.TB, mailbox string, raw []byte) {
	tb.Helper()
	c := s.client(tb)
	if mailbox != "INBOX" {
		if err := c.Create(mailbox, nil).Wait(); err != nil && !isAlreadyExists(err) {
			tb.Fatalf("testdovecot: create %s: %v", mailbox, err)
		}
	}
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		tb.Fatalf("testdovecot: append to %s: %v", mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		tb.Fatalf("testdovecot: append to %s: %v", mailbox, err)
	}
	if _, err := cmd.Wait(); err != nil {
		tb.Fatalf("testdovecot: append to %s: %v", mailbox, err)
	}
	_ = c.Logout().Wait()
}

func isAlreadyExists(err error) bool {
	var e *imap.Error
	return errors.As(err, &e) && e.Code == imap.ResponseCodeAlreadyExists
}

// Mailbox returns the messages in a mailbox, in UID order; none if it does not
// exist.
func (s *Server) Mailbox(tb testing.TB, name string) [][]byte {
	tb.Helper()
	c := s.client(tb)
	list, err := c.List("", name, nil).Collect()
	if err != nil {
		tb.Fatalf("testdovecot: list %s: %v", name, err)
	}
	if len(list) == 0 {
		return nil
	}
	mbox, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		tb.Fatalf("testdovecot: select %s: %v", name, err)
	}
	if mbox.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	var all imap.SeqSet
	all.AddRange(1, mbox.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		tb.Fatalf("testdovecot: fetch %s: %v", name, err)
	}
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, bytes.Clone(m.FindBodySection(section)))
	}
	_ = c.Logout().Wait()
	return out
}

func randomHex(tb testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testdovecot: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
