package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestWorkerSignsAtItsPace runs `partnerlink worker` with a DKIM key given as
// PEM in PARTNERLINK_DKIM_KEY and a send rate of 5/s: queued invitations arrive
// signed, verifiable from the record `partnerlink dns` prints, and no faster
// than the rate.
func TestWorkerSignsAtItsPace(t *testing.T) {
	srv, sink := startStack(t, "https://partners.example.com")
	r := runCmd(t, "keys", "dkim", "--type", "ed25519")
	if r.code != 0 {
		t.Fatalf("keys dkim: %v", r)
	}
	// One line, as an environment variable often is: line breaks written as \n.
	t.Setenv("PARTNERLINK_DKIM_KEY", strings.ReplaceAll(strings.TrimSpace(r.stdout), "\n", `\n`))
	t.Setenv("PARTNERLINK_DKIM_SELECTOR", "pl1")
	t.Setenv("PARTNERLINK_MAIL_FROM", "partnerlink <noreply@partners.example.com>")
	t.Setenv("PARTNERLINK_SEND_RATE", "5")

	dns := runCmd(t, "dns")
	if dns.code != 0 {
		t.Fatalf("dns: %v", dns)
	}
	records := publishedRecords(t, dns.stdout)

	// Six invitations queued before the worker starts.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := partnerships.NewStore(srv.Client())
	p, _, err := store.CreatePartner(ctx, "Contoso Partners Ltd", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateCustomer(ctx, "Fabrikam", "fabrikam.example", partnerships.CustomerUser{Email: "admin@fabrikam.example", Role: partnerships.GlobalAdmin}); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: srv.Addr})
	defer client.Close()
	enq := jobs.NewEnqueuer(client)
	const n = 6
	for range n {
		inv, err := store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: partnerships.Reseller, Locale: "en", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := enq.SendInvitation(ctx, inv.ID); err != nil {
			t.Fatal(err)
		}
	}

	worker := startCmd(t, ctx, "worker", "--concurrency", "4")
	worker.waitLog(t, regexp.MustCompile(`"msg":"worker started".*"dkim":"pl1._domainkey.partners.example.com \(ed25519\)","send_rate":5`))
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	msgs, err := sink.Wait(wctx, n)
	if err != nil {
		t.Fatalf("%v\n--- worker ---\n%s", err, worker.stderr.String())
	}
	cancel()
	if code := <-worker.done; code != 0 {
		t.Errorf("worker exited %d:\n%s", code, worker.stderr.String())
	}

	lookup := func(name string) ([]string, error) {
		if v, ok := records[strings.TrimSuffix(name, ".")]; ok {
			return []string{v}, nil
		}
		return nil, errors.New("no such record " + name)
	}
	for _, m := range msgs {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Raw), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "partners.example.com" {
			t.Errorf("message %s: DKIM %v, %v", m.MessageID, vs, err)
		}
	}
	// 5/s with bursts of 2: six messages take at least 0.8 s (two at once, then one every 0.2 s).
	if span := msgs[n-1].Received.Sub(msgs[0].Received); span < 700*time.Millisecond {
		t.Errorf("%d messages within %s: faster than 5/s", n, span)
	}
}
