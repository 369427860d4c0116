package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/mailsink"
)

// BenchmarkDevInvitations measures invitations per second through `dev` end to
// end: POST /api/v1/invitations over HTTP (up to 8 at once, keep-alive), stored in
// the embedded Redis, queued, picked up by the worker, rendered and sent over SMTP
// to the embedded sink. The clock stops when the sink holds every message.
//
//	go test -run XXX -bench BenchmarkDevInvitations -benchtime 2000x ./cmd/partnerlink/
func BenchmarkDevInvitations(b *testing.B) {
	d, base := startDevSystem(b)
	// The demo invitation is message 1; the benchmark's are 2 … b.N+1.
	waitForMessage(b, d, 1, 10*time.Second)

	const workers = 8
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers},
	}
	defer client.CloseIdleConnections()
	recipients := []string{"admin@fabrikam.example", "billing@fabrikam.example", "user@fabrikam.example"}
	types := []string{"reseller", "delegated_admin", "advisor", "mpsa"}
	locales := []string{"en", "de"}
	bodies := make([][]byte, len(recipients)*len(types)*len(locales))
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"customer_email":%q,"relationship_type":%q,"locale":%q}`,
			recipients[i%len(recipients)], types[i%len(types)], locales[i%len(locales)])
	}

	b.ResetTimer()
	start := time.Now()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		postErr error
	)
	for range min(workers, b.N) {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := postInvitation(client, base, d.apiKey, bodies[int(i)%len(bodies)]); err != nil {
					errOnce.Do(func() { postErr = err })
					return
				}
			}
		})
	}
	// The first send shows how long the idle worker takes to notice the queue.
	first := waitForMessage(b, d, 2, 10*time.Second)
	wg.Wait()
	if postErr != nil {
		b.Fatal(postErr)
	}
	posted := time.Since(start)
	last := waitForMessage(b, d, b.N+1, 30*time.Second+time.Duration(b.N)*20*time.Millisecond)
	elapsed := time.Since(start)
	b.StopTimer()

	msgs := d.sink.Messages()
	received := msgs[len(msgs)-1].ID // ids count up from 1, also past the sink's limit
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "invitations/s")
	b.ReportMetric(float64(b.N)/posted.Seconds(), "posts/s")
	b.ReportMetric(float64(first.Received.Sub(start).Milliseconds()), "first-send-ms")
	if b.N > 1 {
		b.ReportMetric(float64(b.N-1)/last.Received.Sub(first.Received).Seconds(), "sends/s")
	}
	b.ReportMetric(float64(received), "received")
	b.ReportMetric(float64(d.sink.Connections()), "smtp-conns")
	b.ReportMetric(0, "ns/op") // elapsed/b.N is invitations/s upside down
	if received != b.N+1 {
		b.Errorf("the sink received %d messages, want %d (the demo and %d invitations)", received, b.N+1, b.N)
	}
}

func postInvitation(c *http.Client, base, apiKey string, body []byte) error {
	req, err := http.NewRequest("POST", base+"/api/v1/invitations", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/v1/invitations: %s: %s", resp.Status, answer)
	}
	return nil
}

// waitForMessage waits until the sink has received message number n and returns it.
func waitForMessage(tb testing.TB, d *devSystem, n int, timeout time.Duration) mailsink.Message {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m, ok := d.sink.Message(n); ok {
			return m
		}
		if time.Now().After(deadline) {
			msgs := d.sink.Messages()
			last := 0
			if len(msgs) > 0 {
				last = msgs[len(msgs)-1].ID
			}
			tb.Fatalf("the sink has received %d messages after %v, want %d", last, timeout, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// startDevSystem starts what `partnerlink dev` runs, on free ports, with dev's
// defaults, serves it over HTTP and stops it when tb ends. It returns the system
// and its base URL.
func startDevSystem(tb testing.TB) (*devSystem, string) {
	tb.Helper()
	ttl, err := time.ParseDuration(settings["invite-ttl"].def)
	if err != nil {
		tb.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("dev logs:\n%s", logs.String())
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := startDev(ctx, ln, devAddrs{SMTP: "127.0.0.1:0", IMAP: "127.0.0.1:0"}, config{InviteTTL: ttl}, log)
	if err != nil {
		cancel()
		ln.Close()
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, ln, d.handler, log) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			tb.Errorf("serve: %v", err)
		}
		d.close()
	})
	return d, d.base
}
