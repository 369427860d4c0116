package inbox

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

const (
	testUser     = "partnerlink"
	testPassword = "pw-for-tests"
)

// capsMove is what the in-process server advertises unless a test says otherwise.
var capsMove = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}

// memServer is go-imap's in-memory IMAP server on 127.0.0.1, which a test can stop
// and start again on the same port with the same mail.
type memServer struct {
	tb    testing.TB
	caps  imap.CapSet
	user  *imapmemserver.User
	mem   *imapmemserver.Server
	Addr  string
	trace *traceWriter // what the server sent, while recording
	// silentIdle makes IDLE announce nothing, as a server that reports no new
	// mail while idling (or not in time) would.
	silentIdle atomic.Bool

	mu  sync.Mutex
	srv *imapserver.Server
}

func startMemServer(tb testing.TB, caps imap.CapSet) *memServer {
	tb.Helper()
	s := &memServer{tb: tb, caps: caps, mem: imapmemserver.New(), trace: &traceWriter{}}
	s.user = imapmemserver.NewUser(testUser, testPassword)
	if err := s.user.Create("INBOX", nil); err != nil {
		tb.Fatal(err)
	}
	s.mem.AddUser(s.user)
	s.Start()
	tb.Cleanup(s.Stop)
	return s
}

// Start serves on Addr, or on a free port the first time.
func (s *memServer) Start() {
	s.tb.Helper()
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the port of a closed listener can take a moment to be free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.tb.Fatalf("listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := s.mem.NewSession()
			if full, ok := sess.(imapserver.SessionIMAP4rev2); ok && s.silentIdle.Load() {
				return silentIdle{full}, nil, nil
			}
			return sess, nil, nil
		},
		Caps:         s.caps,
		InsecureAuth: true,
		Logger:       discardLogger{},
		DebugWriter:  s.trace,
	})
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// silentIdle is a session whose IDLE waits for DONE and announces nothing.
type silentIdle struct {
	imapserver.SessionIMAP4rev2
}

func (silentIdle) Idle(_ *imapserver.UpdateWriter, stop <-chan struct{}) error {
	<-stop
	return nil
}

// Stop closes the listener and every connection, as a server going down would.
func (s *memServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// Append delivers a message to mailbox in the server's store, as an MTA would;
// it works while the server is stopped too.
func (s *memServer) Append(t testing.TB, mailbox string, raw []byte) {
	t.Helper()
	if _, err := s.user.Append(mailbox, literal{bytes.NewReader(raw)}, &imap.AppendOptions{}); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}

// Mailbox lists the messages in a mailbox, read over IMAP.
func (s *memServer) Mailbox(t testing.TB, name string) [][]byte {
	t.Helper()
	return readMailbox(t, s.Addr, testUser, testPassword, name)
}

func (s *memServer) config() Config {
	return Config{Addr: s.Addr, TLS: TLSNone, Username: testUser, Password: testPassword}
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// traceWriter keeps what passes through it while recording is on.
type traceWriter struct {
	mu  sync.Mutex
	on  bool
	buf bytes.Buffer
}

func (w *traceWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.on {
		w.buf.Write(p)
	}
	return len(p), nil
}

func (w *traceWriter) record() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on = true
	w.buf.Reset()
}

// contains reports whether what was recorded so far holds sub.
func (w *traceWriter) contains(sub string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Contains(w.buf.Bytes(), []byte(sub))
}

// stop ends recording and returns what was recorded.
func (w *traceWriter) stop() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on = false
	return w.buf.String()
}

// readMailbox returns the messages in a mailbox, in UID order, over IMAP.
func readMailbox(t testing.TB, addr, user, password, name string) [][]byte {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	mbox, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", name, err)
	}
	if mbox.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(seqRange(mbox.NumMessages)...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", name, err)
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, m.FindBodySection(section))
	}
	_ = c.Logout().Wait()
	return out
}

func seqRange(n uint32) []uint32 {
	s := make([]uint32, n)
	for i := range s {
		s[i] = uint32(i + 1)
	}
	return s
}

// testMail is a small RFC 5322 message with a subject to tell it by.
func testMail(subject string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf(`From: Partner <partner@example.com>
To: partnerlink@example.net
Subject: %s
Message-ID: <%s@example.com>
Date: Tue, 25 Nov 2025 10:00:00 +0000
Content-Type: text/plain; charset=utf-8

Please invite customer@example.org.
`, subject, strings.ReplaceAll(subject, " ", "-")), "\n", "\r\n"))
}

// subjects returns the Subject of each message.
func subjects(msgs [][]byte) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, subjectOf(m))
	}
	return out
}

func subjectOf(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\r\n") {
		if s, ok := strings.CutPrefix(line, "Subject: "); ok {
			return s
		}
		if line == "" {
			break
		}
	}
	return ""
}

// recorder is a Handler that counts calls per key and decides by subject:
// "reject…" is Rejected with the subject as reason, "fail…" is a temporary error.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int
	seen  []string // subjects, in order of calls
	uv    uint32   // UIDVALIDITY of the last message
	got   chan string
}

func (r *recorder) uidValidity() uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.uv
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, got: make(chan string, 100)}
}

func (r *recorder) Handle(ctx context.Context, key string, m *Message) (Decision, error) {
	subj := subjectOf(m.Raw)
	r.mu.Lock()
	r.calls[key]++
	r.seen = append(r.seen, subj)
	r.uv = m.UIDValidity
	r.mu.Unlock()
	r.got <- subj
	switch {
	case strings.HasPrefix(subj, "reject"):
		return Decision{Folder: Rejected, Reason: subj}, nil
	case strings.HasPrefix(subj, "fail"):
		return Decision{}, fmt.Errorf("temporary trouble")
	}
	return Decision{Folder: Processed}, nil
}

func (r *recorder) callsByKey() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]int, len(r.calls))
	for k, v := range r.calls {
		m[k] = v
	}
	return m
}

// waitFor waits for the handler to see subject.
func (r *recorder) waitFor(t testing.TB, subject string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case s := <-r.got:
			if s == subject {
				return
			}
		case <-deadline:
			t.Fatalf("handler did not see %q within %v", subject, within)
		}
	}
}

// newTestWatcher returns a Watcher on cfg with a fresh redis-server, quick
// backoff and a test logger.
func newTestWatcher(t testing.TB, cfg Config, rdb *testredis.Server, h Handler) *Watcher {
	t.Helper()
	w, err := NewWatcher(cfg, rdb.Client(), h, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	w.backoff = backoff{20 * time.Millisecond, 200 * time.Millisecond}
	return w
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// eventually retries cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
