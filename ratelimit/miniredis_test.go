package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestMiniredis runs the script on the embedded Redis of `partnerlink dev`.
func TestMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	c := newClock()
	l := New(rdb, "test", Limit{Rate: 60, Per: time.Minute, Burst: 2}, WithClock(c.now))
	ctx := context.Background()
	for i, want := range []Result{allowed(1), allowed(0), refused(time.Second)} {
		got, err := l.Allow(ctx, "a")
		if err != nil || got != want {
			t.Fatalf("call %d: %+v, %v; want %+v", i, got, err, want)
		}
	}
	c.advance(time.Second)
	if got, err := l.Allow(ctx, "a"); err != nil || !got.Allowed {
		t.Fatalf("after a second: %+v, %v", got, err)
	}
}
