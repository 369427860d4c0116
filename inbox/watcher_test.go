package inbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

func TestPassHandlesExistingMessages(t *testing.T) {
	srv := startMemServer(t, capsMove)
	for _, s := range []string{"one", "reject two", "three"} {
		srv.Append(t, "INBOX", testMail(s))
	}
	rec := newRecorder()
	w := newTestWatcher(t, srv.config(), testredis.Start(t), rec)

	st, err := w.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Seen: 3, Processed: 2, Rejected: 1}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"one", "reject two", "three"}, rec.seen); diff != "" {
		t.Errorf("handled (-want +got):\n%s", diff)
	}
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"one", "three"}, "Rejected": {"reject two"}})

	// A second pass finds nothing.
	if st, err := w.Pass(context.Background()); err != nil || st != (Stats{}) {
		t.Errorf("second pass = %+v, %v; want nothing", st, err)
	}
}

func TestPassGivesTheHandlerTheMessage(t *testing.T) {
	srv := startMemServer(t, capsMove)
	raw := testMail("hello")
	srv.Append(t, "INBOX", raw)
	var got *Message
	var gotKey string
	w := newTestWatcher(t, srv.config(), testredis.Start(t), HandlerFunc(func(_ context.Context, key string, m *Message) (Decision, error) {
		got, gotKey = m, key
		return Decision{Folder: Processed}, nil
	}))
	if _, err := w.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("handler not called")
	}
	want := &Message{Mailbox: "INBOX", UIDValidity: got.UIDValidity, UID: 1, Raw: raw, Size: int64(len(raw))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if wantKey := fmt.Sprintf("%s@%s/INBOX/%d/1", testUser, srv.Addr, got.UIDValidity); gotKey != wantKey {
		t.Errorf("key = %q, want %q", gotKey, wantKey)
	}
}

func TestRejectedReasonIsRecorded(t *testing.T) {
	srv := startMemServer(t, capsMove)
	srv.Append(t, "INBOX", testMail("reject: not a partner"))
	rdb := testredis.Start(t)
	w := newTestWatcher(t, srv.config(), rdb, newRecorder())
	if _, err := w.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Rejected": {"reject: not a partner"}})
	uv := uidValidity(t, srv)
	got, err := rdb.Client().HGetAll(context.Background(), doneKey(w.cfg.Account, "INBOX", uv)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"1": "rejected\treject: not a partner"}, got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
}

func TestHandlerErrorLeavesTheMessageForTheNextPass(t *testing.T) {
	srv := startMemServer(t, capsMove)
	srv.Append(t, "INBOX", testMail("fail once"))
	srv.Append(t, "INBOX", testMail("fine"))
	srv.Append(t, "INBOX", testMail("panic"))
	calls := 0
	w := newTestWatcher(t, srv.config(), testredis.Start(t), HandlerFunc(func(_ context.Context, _ string, m *Message) (Decision, error) {
		switch subjectOf(m.Raw) {
		case "fail once":
			if calls++; calls == 1 {
				return Decision{}, errors.New("database is down")
			}
		case "panic":
			if calls == 1 {
				panic("handler bug")
			}
		}
		return Decision{Folder: Processed}, nil
	}))
	st, err := w.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Seen: 3, Processed: 1, Retried: 2}, st); diff != "" {
		t.Errorf("first pass (-want +got):\n%s", diff)
	}
	checkFolders(t, srv, map[string][]string{"INBOX": {"fail once", "panic"}, "Processed": {"fine"}})
	st, err = w.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Seen: 2, Processed: 2}, st); diff != "" {
		t.Errorf("second pass (-want +got):\n%s", diff)
	}
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"fine", "fail once", "panic"}})
}

// TestPassWorksInBatches: 250 messages take three batches, each one UID FETCH of
// the bodies still to handle and one UID MOVE per folder; a message whose outcome
// an earlier run recorded is moved without being fetched or handled.
func TestPassWorksInBatches(t *testing.T) {
	srv := startMemServer(t, capsMove)
	var processed, rejected []string
	for i := 1; i <= 250; i++ {
		s := fmt.Sprintf("mail %d", i)
		if i%7 == 0 {
			s = "reject " + s
		}
		srv.Append(t, "INBOX", testMail(s))
		switch {
		case i == 120: // handled by an earlier run, below
			rejected = append(rejected, s)
		case i%7 == 0:
			rejected = append(rejected, s)
		default:
			processed = append(processed, s)
		}
	}
	rdb := testredis.Start(t)
	var handled []string // the recorder would block after 100
	w := newTestWatcher(t, srv.config(), rdb, HandlerFunc(func(_ context.Context, _ string, m *Message) (Decision, error) {
		s := subjectOf(m.Raw)
		handled = append(handled, s)
		if strings.HasPrefix(s, "reject") {
			return Decision{Folder: Rejected, Reason: s}, nil
		}
		return Decision{Folder: Processed}, nil
	}))
	if _, err := w.done.record(context.Background(), "INBOX", uidValidity(t, srv), 120, outcome{Rejected, "earlier"}); err != nil {
		t.Fatal(err)
	}
	traffic := &traceWriter{} // locked: the client writes to it as it sends and as it reads
	traffic.record()
	w.debug = traffic
	st, err := w.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Seen: 250, Processed: len(processed), Rejected: len(rejected)}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if len(handled) != 249 || slices.Contains(handled, "mail 120") {
		t.Errorf("handled %d messages (mail 120 among them: %v), want 249 without it", len(handled), slices.Contains(handled, "mail 120"))
	}
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": processed, "Rejected": rejected})
	out := traffic.stop()
	if n := strings.Count(out, "BODY.PEEK[]"); n != 3 {
		t.Errorf("%d body fetches, want 3", n)
	}
	// The commands, not the "OK UID MOVE completed" replies.
	if n := strings.Count(out, " UID MOVE ") - strings.Count(out, "OK UID MOVE"); n != 6 {
		t.Errorf("%d UID MOVEs, want 6", n)
	}
}

func TestMoveWithoutMOVEUsesCopyAndUIDExpunge(t *testing.T) {
	srv := startMemServer(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}})
	for _, s := range []string{"one", "reject two", "three"} {
		srv.Append(t, "INBOX", testMail(s))
	}
	w := newTestWatcher(t, srv.config(), testredis.Start(t), newRecorder())
	if _, err := w.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"one", "three"}, "Rejected": {"reject two"}})
}

func TestTooLargeIsRejectedWithoutFetching(t *testing.T) {
	srv := startMemServer(t, capsMove)
	const marker = "MARKER-OF-THE-BIG-BODY"
	big := append(testMail("big"), bytes.Repeat([]byte(marker+"\r\n"), MaxMessageBytes/len(marker))...)
	srv.Append(t, "INBOX", big)
	srv.Append(t, "INBOX", testMail("small"))
	rdb := testredis.Start(t)
	rec := newRecorder()
	w := newTestWatcher(t, srv.config(), rdb, rec)
	srv.trace.record()
	st, err := w.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Seen: 2, Processed: 1, Rejected: 1}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"small"}, rec.seen); diff != "" {
		t.Errorf("handled (-want +got):\n%s", diff)
	}
	if trace := srv.trace.stop(); strings.Contains(trace, marker) {
		t.Error("the server sent the large message's body")
	} else if !strings.Contains(trace, "RFC822.SIZE") {
		t.Error("trace has no RFC822.SIZE: is it recording?")
	}
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"small"}})
	if d, err := srv.user.Status("Rejected", &imap.StatusOptions{NumMessages: true}); err != nil || *d.NumMessages != 1 {
		t.Errorf("Rejected holds %v messages (%v), want 1", d.NumMessages, err)
	}
	got, _ := rdb.Client().HGet(context.Background(), doneKey(w.cfg.Account, "INBOX", uidValidity(t, srv)), "1").Result()
	if want := fmt.Sprintf("rejected\ttoo large: %d bytes, the limit is %d", len(big), MaxMessageBytes); got != want {
		t.Errorf("recorded %q, want %q", got, want)
	}
}

// TestCrashAtEachStep stops a pass after each step of handling a message, as a
// crash would, then runs a new Watcher on the same Redis: every message ends up in
// its folder, none stays in INBOX, and Handle runs again only for a crash between
// handling and recording.
func TestCrashAtEachStep(t *testing.T) {
	for _, tc := range []struct {
		step      string
		wantCalls int // Handle calls for the message the crash hit
	}{
		{stepFetched, 1},  // fetched, not handled: the new Watcher handles it
		{stepHandled, 2},  // handled, not recorded: handled again, same key
		{stepRecorded, 1}, // recorded, not moved: only moved
		{stepMoved, 1},    // moved: nothing left to do
	} {
		t.Run(tc.step, func(t *testing.T) {
			srv := startMemServer(t, capsMove)
			subjects := []string{"one", "reject two", "three"}
			for _, s := range subjects {
				srv.Append(t, "INBOX", testMail(s))
			}
			rdb := testredis.Start(t)
			rec := newRecorder()

			// The crash hits the second message, which is rejected.
			first := newTestWatcher(t, srv.config(), rdb, rec)
			n := 0
			first.crashAfter = func(step string) bool {
				if step == tc.step {
					n++
				}
				return step == tc.step && n == 2
			}
			if _, err := first.Pass(context.Background()); !errors.Is(err, errCrash) {
				t.Fatalf("first pass: %v, want the crash", err)
			}

			second := newTestWatcher(t, srv.config(), rdb, rec)
			if _, err := second.Pass(context.Background()); err != nil {
				t.Fatalf("second pass: %v", err)
			}
			checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"one", "three"}, "Rejected": {"reject two"}})
			uv := uidValidity(t, srv)
			key := func(uid int) string { return fmt.Sprintf("%s/INBOX/%d/%d", first.cfg.Account, uv, uid) }
			want := map[string]int{key(1): 1, key(2): tc.wantCalls, key(3): 1}
			if diff := cmp.Diff(want, rec.callsByKey()); diff != "" {
				t.Errorf("Handle calls per key (-want +got):\n%s", diff)
			}
			// Outcomes of the rejected message are recorded once, with the reason.
			got, _ := rdb.Client().HGet(context.Background(), doneKey(first.cfg.Account, "INBOX", uv), "2").Result()
			if got != "rejected\treject two" {
				t.Errorf("recorded %q", got)
			}
		})
	}
}

func TestRunHandlesNewMailWithIDLE(t *testing.T) {
	srv := startMemServer(t, capsMove)
	srv.Append(t, "INBOX", testMail("before"))
	rec := newRecorder()
	w := newTestWatcher(t, srv.config(), testredis.Start(t), rec)
	runWatcher(t, w)
	rec.waitFor(t, "before", 5*time.Second)

	time.Sleep(100 * time.Millisecond) // let it settle in IDLE
	start := time.Now()
	srv.Append(t, "INBOX", testMail("after"))
	rec.waitFor(t, "after", time.Second)
	t.Logf("new mail handled %v after it arrived", time.Since(start))
	eventually(t, 2*time.Second, "both moved", func() bool { return len(srv.Mailbox(t, "Processed")) == 2 })
}

// TestRunFindsUnannouncedMailWhileIdling: mail the server never announces in
// IDLE (as mail that came between the watcher's search and its IDLE may not be)
// is found by the next pass, PollInterval later, not IdleRefresh later.
func TestRunFindsUnannouncedMailWhileIdling(t *testing.T) {
	srv := startMemServer(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapMove: {}, imap.CapUIDPlus: {}})
	srv.silentIdle.Store(true)
	cfg := srv.config()
	cfg.PollInterval = 200 * time.Millisecond
	cfg.IdleRefresh = time.Hour
	rec := newRecorder()
	w := newTestWatcher(t, cfg, testredis.Start(t), rec)
	srv.trace.record()
	runWatcher(t, w)
	eventually(t, 2*time.Second, "the watcher idles", func() bool { return srv.trace.contains("+ idling") })
	for _, s := range []string{"first", "second"} {
		start := time.Now()
		srv.Append(t, "INBOX", testMail(s))
		rec.waitFor(t, s, 2*time.Second)
		t.Logf("unannounced mail handled %v after it arrived", time.Since(start))
	}
	eventually(t, 2*time.Second, "both moved", func() bool { return len(srv.Mailbox(t, "Processed")) == 2 })
}

func TestRunPollsWithoutIDLE(t *testing.T) {
	srv := startMemServer(t, capsMove)
	cfg := srv.config()
	cfg.PollInterval = 50 * time.Millisecond
	rec := newRecorder()
	w := newTestWatcher(t, cfg, testredis.Start(t), rec)
	w.forcePoll = true
	runWatcher(t, w)
	time.Sleep(100 * time.Millisecond)
	for _, s := range []string{"first", "second"} {
		srv.Append(t, "INBOX", testMail(s))
		rec.waitFor(t, s, time.Second)
	}
	eventually(t, 2*time.Second, "both moved", func() bool { return len(srv.Mailbox(t, "Processed")) == 2 })
}

func TestRunReconnects(t *testing.T) {
	srv := startMemServer(t, capsMove)
	rec := newRecorder()
	w := newTestWatcher(t, srv.config(), testredis.Start(t), rec)
	runWatcher(t, w)
	srv.Append(t, "INBOX", testMail("before"))
	rec.waitFor(t, "before", 2*time.Second)

	srv.Stop()
	srv.Append(t, "INBOX", testMail("while down 1"))
	srv.Append(t, "INBOX", testMail("while down 2"))
	time.Sleep(300 * time.Millisecond) // a few failed redials
	srv.Start()
	rec.waitFor(t, "while down 2", 3*time.Second)
	srv.Append(t, "INBOX", testMail("after"))
	rec.waitFor(t, "after", 2*time.Second)
	eventually(t, 2*time.Second, "all moved", func() bool { return len(srv.Mailbox(t, "Processed")) == 4 })
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"before", "while down 1", "while down 2", "after"}})
}

func TestRunFailsOnWrongPassword(t *testing.T) {
	srv := startMemServer(t, capsMove)
	cfg := srv.config()
	cfg.Password = "wrong-password"
	w := newTestWatcher(t, cfg, testredis.Start(t), newRecorder())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := w.Run(ctx)
	var ae *authError
	if !errors.As(err, &ae) {
		t.Fatalf("Run = %v, want a login error", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	srv := startMemServer(t, capsMove)
	w := newTestWatcher(t, srv.config(), testredis.Start(t), newRecorder())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// runWatcher runs w until the test ends.
func runWatcher(t *testing.T, w *Watcher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// folderReader is an IMAP server a test can read folders of.
type folderReader interface {
	Mailbox(t testing.TB, name string) [][]byte
}

// checkFolders compares the subjects of the messages in each folder.
func checkFolders(t testing.TB, srv folderReader, want map[string][]string) {
	t.Helper()
	for name, subjs := range want {
		if diff := cmp.Diff(subjs, subjects(srv.Mailbox(t, name))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func uidValidity(t testing.TB, srv *memServer) uint32 {
	t.Helper()
	d, err := srv.user.Status("INBOX", &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		t.Fatal(err)
	}
	return d.UIDValidity
}

// TestRunRetriesWithoutNewMail: a message left for later by a temporary handler
// error is tried again after PollInterval while idling, not only when more mail comes.
func TestRunRetriesWithoutNewMail(t *testing.T) {
	srv := startMemServer(t, capsMove)
	cfg := srv.config()
	cfg.PollInterval = 100 * time.Millisecond
	var mu sync.Mutex
	calls := 0
	w := newTestWatcher(t, cfg, testredis.Start(t), HandlerFunc(func(context.Context, string, *Message) (Decision, error) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 1 {
			return Decision{}, errors.New("database is down")
		}
		return Decision{Folder: Processed}, nil
	}))
	srv.Append(t, "INBOX", testMail("fail once"))
	runWatcher(t, w)
	eventually(t, 3*time.Second, "retried and moved", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return calls == 2 && len(srv.Mailbox(t, "INBOX")) == 0
	})
	checkFolders(t, srv, map[string][]string{"INBOX": nil, "Processed": {"fail once"}})
}
