package e2e

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/internal/testdovecot"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/mailroom"
	"github.com/partnerlink/partnerlink/partnerships"
)

// BenchmarkIngestFromDovecot measures how fast the inbox takes in partners'
// requests: 1,000 request mails (one invitation each, DKIM pass from the trusted
// server) wait in a real Dovecot's INBOX; one inbox.Watcher.Pass with the real
// mailroom.Router on a real redis-server handles them all (fetch, authenticate,
// create the invitation, enqueue its send and the reply, record the outcome, move
// to Processed). Only the pass is timed; the mails are appended before it, outside
// the timer, so each b.N iteration ingests a fresh 1,000 (new UIDs, new keys, new
// invitations). Each iteration takes seconds; run it once:
//
//	go test -run '^$' -bench BenchmarkIngestFromDovecot -benchtime 1x ./e2e/
func BenchmarkIngestFromDovecot(b *testing.B) {
	const n = 1000
	dc := testdovecot.Start(b)
	rs := testredis.Start(b)
	rdb := rs.Client()
	store := partnerships.NewStore(rdb)
	_, customer := seedRequestCustomer(b, store, n)
	raws := requestMails(b, n)

	client := asynq.NewClient(asynq.RedisClientOpt{Addr: rs.Addr})
	b.Cleanup(func() { client.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := mailroom.New(mailroom.Config{Address: inboxAddress, TrustedAuthServ: []string{trustedAuthServ}, InviteTTL: 14 * 24 * time.Hour},
		store, jobs.NewEnqueuer(client), log)
	// The share of the pass spent in the router (Redis: partner, user, invitation,
	// two enqueues) rather than in IMAP (list, fetch, move) and the outcome record.
	var inHandler time.Duration
	timed := inbox.HandlerFunc(func(ctx context.Context, key string, m *inbox.Message) (inbox.Decision, error) {
		t0 := time.Now()
		defer func() { inHandler += time.Since(t0) }()
		return router.Handle(ctx, key, m)
	})
	w, err := inbox.NewWatcher(inbox.Config{Addr: dc.Addr, TLS: inbox.TLSNone, Username: dc.User, Password: dc.Password},
		rdb, timed, log)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()

	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		appendAll(b, dc.Addr, dc.User, dc.Password, "INBOX", raws)
		b.StartTimer()
		var total inbox.Stats
		for passes := 0; total.Processed+total.Rejected < n; passes++ {
			if passes == 5 {
				b.Fatalf("after %d passes: %+v, want %d processed", passes, total, n)
			}
			st, err := w.Pass(ctx)
			if err != nil {
				b.Fatalf("pass: %v (so far %+v)", err, total)
			}
			total.Seen += st.Seen
			total.Processed += st.Processed
			total.Rejected += st.Rejected
			total.Retried += st.Retried
		}
		if total.Rejected != 0 {
			b.Fatalf("%d of %d requests rejected", total.Rejected, n)
		}
	}
	b.StopTimer()

	invs, err := store.InvitationsByCustomer(ctx, customer.ID)
	if err != nil {
		b.Fatal(err)
	}
	if len(invs) != n*b.N {
		b.Errorf("%d invitations after %d passes over %d requests, want %d", len(invs), b.N, n, n*b.N)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(len(invs))/float64(b.N), "invitations/op")
	b.ReportMetric(100*inHandler.Seconds()/b.Elapsed().Seconds(), "%handler")
}
