package pace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/mailer"
)

// recorder is a Sender that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *recorder) Send(_ context.Context, msg mailer.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, msg.To)
	return nil
}

func msg(to string) mailer.Message { return mailer.Message{To: to, Subject: "s", Text: "t"} }

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{{PerSecond: -1}, {PerMinute: -1}, {PerDomainMinute: -5}} {
		if _, err := New(nil, &recorder{}, cfg, nil); err == nil {
			t.Errorf("New(%+v) accepted a negative rate", cfg)
		}
	}
	if _, err := New(nil, &recorder{}, Config{PerSecond: 1}, nil); err == nil {
		t.Errorf("New without Redis accepted a limit")
	}
}

// Unlimited sends straight through without Redis.
func TestUnlimited(t *testing.T) {
	rec := &recorder{}
	p, err := New(nil, rec, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := p.Send(t.Context(), msg(fmt.Sprintf("a%d@x.example", i))); err != nil {
			t.Fatal(err)
		}
	}
	if m := p.Metrics(); m.Sent != 50 || m.Deferred != 0 || m.Rate != 5 {
		t.Errorf("Metrics = %+v, want 50 sent, rate 5/s over 10 s", m)
	}
}

// A wait beyond MaxWait defers with an error that is temporary and tells the wait;
// the per-domain limit holds one domain back and not another.
func TestDeferred(t *testing.T) {
	srv := testredis.Start(t)
	rec := &recorder{}
	p, err := New(srv.Client(), rec, Config{PerDomainMinute: 6, MaxWait: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(t.Context(), msg("a@slow.example")); err != nil {
		t.Fatalf("first message: %v", err)
	}
	err = p.Send(t.Context(), msg("b@Slow.example"))
	wait, ok := DeferredWait(err)
	if !ok || !errors.Is(err, mailer.ErrTemporary) || wait < 9*time.Second || wait > 10*time.Second {
		t.Fatalf("second message to the domain: %v (wait %s), want a temporary *Deferred of about 10s", err, wait)
	}
	if !strings.Contains(err.Error(), "per domain") {
		t.Errorf("error %q does not name the limit", err)
	}
	if err := p.Send(t.Context(), msg("c@other.example")); err != nil {
		t.Errorf("another domain: %v", err)
	}
	if len(rec.sent) != 2 || p.Metrics().Deferred != 1 {
		t.Errorf("sent %v, metrics %+v", rec.sent, p.Metrics())
	}
	if _, ok := DeferredWait(fmt.Errorf("wrapped: %w", errors.New("other"))); ok {
		t.Errorf("DeferredWait found a wait in an unrelated error")
	}
}

// Report logs a "send pace" line with the rate and the backlog.
func TestReportLogs(t *testing.T) {
	var buf syncBuffer
	p, err := New(nil, &recorder{}, Config{}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(t.Context(), msg("a@x.example")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { p.Report(ctx, 10*time.Millisecond, func() (int, error) { return 42, nil }); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "send pace") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	line := buf.String()
	for _, want := range []string{"send pace", "rate_per_second=0.1", "sent=1", "backlog=42"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A message one limit holds back costs the other limits nothing: the turn they
// gave is given back. And the limits are asked in one round trip.
func TestRefusalGivesTurnsBack(t *testing.T) {
	srv := testredis.Start(t)
	rdb := srv.Client()
	rec := &recorder{}
	// Per second: 2 at once; per domain: 1 at once.
	p, err := New(rdb, rec, Config{PerSecond: 1, PerDomainMinute: 6, MaxWait: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := p.Send(ctx, msg("a@x.example")); err != nil {
		t.Fatalf("first message: %v", err)
	}
	rt := testredis.CountRoundTrips(rdb)
	// Held back by the domain limit; its per-second turn goes back.
	if _, ok := DeferredWait(p.Send(ctx, msg("b@x.example"))); !ok {
		t.Fatalf("the second message to x.example was not deferred")
	}
	// So the per-second budget still has its second turn for another domain.
	rt.Reset()
	if err := p.Send(ctx, msg("c@y.example")); err != nil {
		t.Fatalf("a message to another domain within the per-second burst: %v", err)
	}
	if n := rt.N(); n != 1 {
		t.Errorf("an allowed message asked its two limits in %d round trips, want 1", n)
	}
	// And now the per-second budget is spent.
	err = p.Send(ctx, msg("d@z.example"))
	if wait, ok := DeferredWait(err); !ok || !strings.Contains(err.Error(), "second") || wait > time.Second {
		t.Fatalf("the third message in a second: %v, want deferred by the per-second limit", err)
	}
	if got := strings.Join(rec.sent, " "); got != "a@x.example c@y.example" {
		t.Errorf("sent %q", got)
	}
}
