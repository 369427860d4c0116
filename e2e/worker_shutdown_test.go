package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestWorkerSIGTERMMidBatch (issue 6 item 4): a worker sent SIGTERM while it works
// through 400 invitations lets its in-flight sends finish and exits 0 within its
// 20 s shutdown bound, leaving no task active; a second worker sends the rest, and
// every invitation arrives exactly once.
func TestWorkerSIGTERMMidBatch(t *testing.T) {
	const n = 400
	bin := buildPartnerlink(t)
	rs := testredis.Start(t, "--appendonly", "yes")
	store := partnerships.NewStore(rs.Client())
	sink, err := mailsink.Start(mailsink.Options{MaxMessages: 2 * n})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	ids := seedInvitations(t, store, rs.Addr, n)
	p := newProcs(t, bin, rs.URL, sink.Addr())

	first := p.start("worker")
	for len(sink.Messages()) < n/8 {
		time.Sleep(5 * time.Millisecond)
	}
	took := p.stop(first, 25*time.Second)
	sentBefore := len(sink.Messages())
	t.Logf("SIGTERM after %d of %d sent; exited 0 after %s", sentBefore, n, took.Round(time.Millisecond))

	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr})
	defer insp.Close()
	qi, err := insp.GetQueueInfo(jobs.QueueMail)
	if err != nil {
		t.Fatal(err)
	}
	if qi.Active != 0 {
		t.Errorf("%d tasks still active after the worker stopped, want 0", qi.Active)
	}
	if qi.Pending+qi.Retry+qi.Scheduled+sentBefore < n {
		t.Errorf("after SIGTERM: %d delivered + %d pending + %d retry + %d scheduled < %d: tasks lost",
			sentBefore, qi.Pending, qi.Retry, qi.Scheduled, n)
	}

	second := p.start("worker")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := sink.Wait(ctx, n); err != nil {
		p.dump()
		t.Fatalf("%v: %d of %d delivered", err, len(sink.Messages()), n)
	}
	p.stop(second, 25*time.Second)
	got := deliveries(sink)
	twice := 0
	for _, id := range ids {
		inv, err := store.Invitation(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != partnerships.StatusSent || got[inv.MessageID] == 0 {
			t.Errorf("invitation %s: %s, delivered %d times", id, inv.Status, got[inv.MessageID])
		}
		if got[inv.MessageID] > 1 {
			twice++
		}
	}
	t.Logf("invitations %d, lost %d, delivered twice %d", n, n-len(got), twice)
	if twice != 0 {
		t.Errorf("%d invitations delivered twice across a graceful stop, want 0", twice)
	}
}

// TestTwoWorkersTwoSchedulers (issue 6 item 4): two `partnerlink worker` and two
// `partnerlink scheduler` processes on one Redis, with 30 invitations whose
// reminder falls due 2 s after creation and which expire after 8 s: every
// invitation, every reminder and every expiry notice is sent once.
func TestTwoWorkersTwoSchedulers(t *testing.T) {
	const n = 30
	bin := buildPartnerlink(t)
	rs := testredis.Start(t, "--appendonly", "yes")
	store := partnerships.NewStore(rs.Client(), partnerships.WithReminders([]time.Duration{6 * time.Second}))
	sink, err := mailsink.Start(mailsink.Options{MaxMessages: 10 * n})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	p := newProcs(t, bin, rs.URL, sink.Addr(), "PARTNERLINK_SWEEP_INTERVAL=1s", "PARTNERLINK_REMINDERS=6s")
	started := p.startAll("worker", "worker", "scheduler", "scheduler")

	ids := seedInvitationsTTL(t, store, rs.Addr, n, 8*time.Second)
	deadline := time.Now().Add(40 * time.Second)
	for {
		done := 0
		for _, id := range ids {
			inv, err := store.Invitation(context.Background(), id)
			if err == nil && inv.Status == partnerships.StatusExpired && inv.Reminded >= 1 {
				done++
			}
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			p.dump()
			t.Fatalf("%d of %d invitations reminded and expired after 40s", done, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, c := range started {
		p.stop(c, 25*time.Second)
	}
	got := deliveries(sink)
	twice := 0
	for mid, c := range got {
		if c > 1 {
			twice++
			t.Errorf("%s delivered %d times", mid, c)
		}
	}
	t.Logf("%d messages (%d distinct Message-IDs) for %d invitations; delivered twice %d", len(sink.Messages()), len(got), n, twice)
	if len(got) < 2*n {
		t.Errorf("%d distinct messages, want at least %d (each invitation and its reminder)", len(got), 2*n)
	}
}
