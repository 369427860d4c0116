package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
)

func TestPoolSendsOverAtMostSizeConnections(t *testing.T) {
	sink := startSink(t, "")
	p, err := NewPool(sinkConfig(t, sink.Addr()), 3, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				if err := p.Send(t.Context(), plain("a@example.com", fmt.Sprintf("%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(sink.Messages()); n != 80 {
		t.Errorf("sink got %d messages, want 80", n)
	}
	if n := sink.Connections(); n < 1 || n > 3 {
		t.Errorf("Connections() = %d, want 1 to 3", n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(t.Context(), plain("a@example.com", "late")); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrTemporary) {
		t.Errorf("Send after Close = %v, want temporary ErrClosed", err)
	}
}

func TestPoolWaitsForAFreeConnection(t *testing.T) {
	sink := startSink(t, "")
	p, err := NewPool(sinkConfig(t, sink.Addr()), 1, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	busy := <-p.free // hold the only connection
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Send(ctx, plain("a@example.com", "x")); !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTemporary) {
		t.Errorf("Send with every connection busy and ctx done = %v, want temporary context.Canceled", err)
	}
	p.free <- busy
	if err := p.Send(t.Context(), plain("a@example.com", "y")); err != nil {
		t.Fatal(err)
	}
}

func TestNewPoolSize(t *testing.T) {
	sink := startSink(t, "")
	for _, n := range []int{0, -1, 101} {
		if _, err := NewPool(sinkConfig(t, sink.Addr()), n, nil); err == nil {
			t.Errorf("NewPool(size %d) accepted", n)
		}
	}
}
