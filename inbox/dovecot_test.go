package inbox

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/internal/testdovecot"
	"github.com/partnerlink/partnerlink/internal/testredis"
)

// The Watcher against a real Dovecot (Debian's dovecot-imapd): MOVE, IDLE and
// UIDVALIDITY as a production server does them.

func dovecotConfig(d *testdovecot.Server) Config {
	return Config{Addr: d.Addr, TLS: TLSNone, Username: d.User, Password: d.Password}
}

func TestDovecotPassMovesToProcessedAndRejected(t *testing.T) {
	d := testdovecot.Start(t)
	for _, s := range []string{"one", "reject two", "three"} {
		d.Append(t, "INBOX", testMail(s))
	}
	rdb := testredis.Start(t)
	w := newTestWatcher(t, dovecotConfig(d), rdb, newRecorder())
	st, err := w.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Seen: 3, Processed: 2, Rejected: 1}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	checkFolders(t, d, map[string][]string{"INBOX": nil, "Processed": {"one", "three"}, "Rejected": {"reject two"}})
	// The reason is recorded under Dovecot's UIDVALIDITY.
	keys, err := rdb.Client().Keys(context.Background(), accountTag(w.cfg.Account)+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys = %v, %v; want one done hash", keys, err)
	}
	if got, _ := rdb.Client().HGet(context.Background(), keys[0], "2").Result(); got != "rejected\treject two" {
		t.Errorf("recorded %q", got)
	}
}

func TestDovecotRunHandlesNewMailWithIDLE(t *testing.T) {
	d := testdovecot.Start(t)
	d.Append(t, "INBOX", testMail("before"))
	rec := newRecorder()
	w := newTestWatcher(t, dovecotConfig(d), testredis.Start(t), rec)
	runWatcher(t, w)
	rec.waitFor(t, "before", 5*time.Second)

	time.Sleep(200 * time.Millisecond) // let it settle in IDLE
	start := time.Now()
	d.Append(t, "INBOX", testMail("after"))
	rec.waitFor(t, "after", 2*time.Second)
	t.Logf("new mail handled %v after it arrived", time.Since(start))
	eventually(t, 3*time.Second, "both moved", func() bool { return len(d.Mailbox(t, "Processed")) == 2 })
	checkFolders(t, d, map[string][]string{"INBOX": nil, "Processed": {"before", "after"}})
}

func TestDovecotCrashAfterHandled(t *testing.T) {
	d := testdovecot.Start(t)
	for _, s := range []string{"one", "reject two", "three"} {
		d.Append(t, "INBOX", testMail(s))
	}
	rdb := testredis.Start(t)
	rec := newRecorder()
	first := newTestWatcher(t, dovecotConfig(d), rdb, rec)
	n := 0
	first.crashAfter = func(step string) bool {
		if step == stepHandled {
			n++
		}
		return step == stepHandled && n == 2
	}
	if _, err := first.Pass(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("first pass: %v, want the crash", err)
	}
	second := newTestWatcher(t, dovecotConfig(d), rdb, rec)
	if _, err := second.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkFolders(t, d, map[string][]string{"INBOX": nil, "Processed": {"one", "three"}, "Rejected": {"reject two"}})
	uv := rec.uidValidity()
	key := func(uid int) string { return fmt.Sprintf("%s/INBOX/%d/%d", first.cfg.Account, uv, uid) }
	want := map[string]int{key(1): 1, key(2): 2, key(3): 1} // handled twice: crashed before recording
	if diff := cmp.Diff(want, rec.callsByKey()); diff != "" {
		t.Errorf("Handle calls per key (-want +got):\n%s", diff)
	}
}
