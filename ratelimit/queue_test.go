package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// TestQueue: a decision queued in the caller's pipeline is the one Allow makes, in
// that one round trip; after SCRIPT FLUSH the read falls back to Allow; an
// unlimited limiter queues nothing.
func TestQueue(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	c := newClock()
	l := New(rdb, "test", Limit{Rate: 60, Per: time.Minute, Burst: 2}, WithClock(c.now))
	rt := testredis.CountRoundTrips(rdb)
	queued := func() (Result, error) {
		t.Helper()
		var decide func() (Result, error)
		var get *redis.StringCmd
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			get = p.Get(ctx, "other")
			decide = l.Queue(ctx, p, "a")
			return nil
		}); err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		if get.Err() != redis.Nil {
			t.Fatalf("the pipeline's own command: %v", get.Err())
		}
		return decide()
	}

	if got, err := queued(); err != nil || got != allowed(1) { // NOSCRIPT: Allow loads it
		t.Fatalf("first queued decision = %+v, %v; want %+v", got, err, allowed(1))
	}
	rt.Reset()
	for i, want := range []Result{allowed(0), refused(time.Second)} {
		if got, err := queued(); err != nil || got != want {
			t.Fatalf("queued decision %d = %+v, %v; want %+v", i, got, err, want)
		}
	}
	if n := rt.N(); n != 2 {
		t.Errorf("two queued decisions: %d round trips, want 2 (their pipelines')", n)
	}

	c.advance(time.Second)
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := queued(); err != nil || got != allowed(0) {
		t.Errorf("after SCRIPT FLUSH = %+v, %v; want %+v", got, err, allowed(0))
	}
	if got, err := l.Allow(ctx, "a"); err != nil || got != refused(time.Second) {
		t.Errorf("Allow after the queued ones = %+v, %v; want %+v", got, err, refused(time.Second))
	}

	unlimited := New(rdb, "free", Limit{})
	rt.Reset()
	var decide func() (Result, error)
	_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		decide = unlimited.Queue(ctx, p, "a")
		return nil
	})
	if got, err := decide(); err != nil || !got.Allowed || got.Remaining != -1 {
		t.Errorf("unlimited = %+v, %v", got, err)
	}
	if n := rt.N(); n != 0 {
		t.Errorf("unlimited: %d round trips, want 0 (an empty pipeline sends nothing)", n)
	}
}
