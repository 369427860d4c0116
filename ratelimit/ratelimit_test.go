package ratelimit

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one call of Allow after moving the clock by advance.
type step struct {
	advance time.Duration
	subject string
	want    Result
}

func allowed(remaining int) Result { return Result{Allowed: true, Remaining: remaining} }
func refused(after time.Duration) Result {
	return Result{Allowed: false, Remaining: 0, RetryAfter: after}
}

func TestAllow(t *testing.T) {
	perSecond := Limit{Rate: 60, Per: time.Minute, Burst: 3} // one a second, three at once
	tests := []struct {
		name  string
		limit Limit
		steps []step
	}{
		{
			name:  "burst allowed then refused",
			limit: perSecond,
			steps: []step{
				{0, "a", allowed(2)}, {0, "a", allowed(1)}, {0, "a", allowed(0)},
				{0, "a", refused(time.Second)}, {0, "a", refused(time.Second)},
			},
		},
		{
			name:  "retry after counts down",
			limit: perSecond,
			steps: []step{
				{0, "a", allowed(2)}, {0, "a", allowed(1)}, {0, "a", allowed(0)},
				{400 * time.Millisecond, "a", refused(600 * time.Millisecond)},
				{599 * time.Millisecond, "a", refused(time.Millisecond)},
				{time.Millisecond, "a", allowed(0)},
				{0, "a", refused(time.Second)},
			},
		},
		{
			name:  "refills at the rate",
			limit: perSecond,
			steps: []step{
				{0, "a", allowed(2)}, {0, "a", allowed(1)}, {0, "a", allowed(0)},
				{2 * time.Second, "a", allowed(1)}, {0, "a", allowed(0)}, {0, "a", refused(time.Second)},
			},
		},
		{
			name:  "refills no further than the burst",
			limit: perSecond,
			steps: []step{
				{0, "a", allowed(2)}, {0, "a", allowed(1)}, {0, "a", allowed(0)},
				{time.Hour, "a", allowed(2)}, {0, "a", allowed(1)}, {0, "a", allowed(0)}, {0, "a", refused(time.Second)},
			},
		},
		{
			name:  "subjects are independent",
			limit: Limit{Rate: 1, Per: time.Minute, Burst: 1},
			steps: []step{
				{0, "pa_1", allowed(0)}, {0, "pa_1", refused(time.Minute)},
				{0, "pa_2", allowed(0)}, {0, "pa_2", refused(time.Minute)},
				{0, "PA_1", allowed(0)},
			},
		},
		{
			name:  "burst 0 counts as 1",
			limit: Limit{Rate: 600, Per: time.Minute},
			steps: []step{{0, "a", allowed(0)}, {0, "a", refused(100 * time.Millisecond)}, {100 * time.Millisecond, "a", allowed(0)}},
		},
		{
			name:  "high rate keeps microseconds",
			limit: Limit{Rate: 100000, Per: time.Minute, Burst: 1}, // every 600 µs
			steps: []step{{0, "a", allowed(0)}, {0, "a", refused(600 * time.Microsecond)}, {600 * time.Microsecond, "a", allowed(0)}},
		},
		{
			name:  "rate 0 is unlimited",
			limit: Limit{},
			steps: []step{{0, "a", Result{Allowed: true, Remaining: -1}}, {0, "a", Result{Allowed: true, Remaining: -1}}},
		},
	}
	srv := testredis.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rdb.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			c := newClock()
			l := New(rdb, "test", tt.limit, WithClock(c.now))
			for i, s := range tt.steps {
				c.advance(s.advance)
				got, err := l.Allow(ctx, s.subject)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if diff := cmp.Diff(s.want, got); diff != "" {
					t.Errorf("step %d (%s after %s): result (-want +got):\n%s", i, s.subject, s.advance, diff)
				}
			}
		})
	}
}

// A refused request must wait RetryAfter, no less and no more, to be allowed.
func TestRetryAfterIsExact(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	c := newClock()
	l := New(rdb, "test", Limit{Rate: 7, Per: time.Minute, Burst: 2}, WithClock(c.now))
	for range 2 {
		if r, err := l.Allow(ctx, "a"); err != nil || !r.Allowed {
			t.Fatalf("within the burst: %+v, %v", r, err)
		}
	}
	c.advance(1234 * time.Millisecond)
	r, err := l.Allow(ctx, "a")
	if err != nil || r.Allowed || r.RetryAfter <= 0 {
		t.Fatalf("past the burst: %+v, %v", r, err)
	}
	c.advance(r.RetryAfter - time.Microsecond)
	if r2, _ := l.Allow(ctx, "a"); r2.Allowed {
		t.Fatalf("allowed %s before RetryAfter %s", time.Microsecond, r.RetryAfter)
	}
	c.advance(time.Microsecond)
	if r2, _ := l.Allow(ctx, "a"); !r2.Allowed {
		t.Fatalf("refused at RetryAfter %s: %+v", r.RetryAfter, r2)
	}
}

// Keys are named in keys.go's layout, carry no raw subject and expire by themselves
// when the budget is whole again; a refusal writes nothing.
func TestKeys(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	c := newClock()
	l := New(rdb, "api", Limit{Rate: 60, Per: time.Minute, Burst: 5}, WithClock(c.now))
	const subject = "pa_{secret}subject"
	for range 5 {
		if _, err := l.Allow(ctx, subject); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !regexp.MustCompile(`^pl:\{rl:api:[0-9a-f]{32}\}$`).MatchString(keys[0]) || strings.Contains(keys[0], "secret") {
		t.Fatalf("keys = %q, want one pl:{rl:api:<32 hex>}", keys)
	}
	ttl, err := rdb.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Errorf("PTTL = %s, %v; want the 5 s until the budget is whole", ttl, err)
	}
	before, _ := rdb.Dump(ctx, keys[0]).Result()
	if r, _ := l.Allow(ctx, subject); r.Allowed {
		t.Fatal("allowed past the burst")
	}
	if after, _ := rdb.Dump(ctx, keys[0]).Result(); after != before {
		t.Error("a refusal changed the key")
	}
}

// Rate 0 never touches Redis: not even a client is needed.
func TestUnlimitedNeedsNoRedis(t *testing.T) {
	l := New(nil, "test", Limit{Rate: 0, Per: time.Minute, Burst: 10})
	for range 1000 {
		r, err := l.Allow(context.Background(), "a")
		if err != nil || !r.Allowed {
			t.Fatalf("unlimited refused: %+v, %v", r, err)
		}
	}
	// And with a client, nothing is written.
	rdb := testredis.Start(t).Client()
	l = New(rdb, "test", Limit{})
	if _, err := l.Allow(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.DBSize(context.Background()).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE = %d, %v; want 0", n, err)
	}
}

// However many ask at once, no more than the burst gets through.
func TestConcurrentAllowKeepsTheBurst(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	c := newClock()
	const burst = 10
	l := New(rdb, "test", Limit{Rate: 1, Per: time.Hour, Burst: burst}, WithClock(c.now))
	var admitted atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			for range 5 {
				r, err := l.Allow(ctx, "shared")
				if err != nil {
					errs <- err
					return
				}
				if r.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := admitted.Load(); n != burst {
		t.Errorf("admitted %d of 100 concurrent requests, want exactly the burst %d", n, burst)
	}
}

// A Redis that does not answer is an error, never a silent decision.
func TestRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	srv.Kill()
	_, err := New(rdb, "test", Limit{Rate: 1, Per: time.Second}).Allow(context.Background(), "a")
	if err == nil || !strings.HasPrefix(err.Error(), "ratelimit: test: ") {
		t.Errorf("err = %v, want a ratelimit error", err)
	}
}

func TestBadLimitsAndNames(t *testing.T) {
	for _, l := range []Limit{{Rate: -1, Per: time.Second}, {Rate: 1}, {Rate: 1, Per: -time.Second}, {Rate: 1, Per: time.Second, Burst: -1}} {
		if l.Validate() == nil {
			t.Errorf("%+v: Validate = nil", l)
		}
	}
	for _, l := range []Limit{{}, {Rate: 1, Per: time.Second}, {Rate: 600, Per: time.Minute, Burst: 60}} {
		if err := l.Validate(); err != nil {
			t.Errorf("%+v: %v", l, err)
		}
	}
	for _, name := range []string{"", "API", "a}b", "a:b", strings.Repeat("a", 33)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New with name %q did not panic", name)
				}
			}()
			New(nil, name, Limit{})
		}()
	}
}

func BenchmarkAllow(b *testing.B) {
	ctx := context.Background()
	rdb := testredis.Start(b).Client()
	l := New(rdb, "bench", Limit{Rate: 1 << 30, Per: time.Second, Burst: 1 << 30})
	subjects := make([]string, 1024)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("203.0.113.%d", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Allow(ctx, subjects[i%len(subjects)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// Refund gives back exactly the turn Allow took: after a refund the next request
// is allowed as if the refunded one had never been made, and a refund of a whole
// budget (no key) changes nothing.
func TestRefund(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	c := newClock()
	l := New(rdb, "test", Limit{Rate: 60, Per: time.Minute, Burst: 2}, WithClock(c.now))
	steps := []struct {
		do   string // "allow" or "refund"
		want Result
	}{
		{"allow", allowed(1)},
		{"allow", allowed(0)},
		{"allow", refused(time.Second)},
		{"refund", Result{}}, // gives back the second
		{"allow", allowed(0)},
		{"refund", Result{}},
		{"refund", Result{}}, // and the first: the budget is whole, the key gone
		{"refund", Result{}}, // nothing left to give back
		{"allow", allowed(1)},
	}
	for i, st := range steps {
		if st.do == "refund" {
			if err := l.Refund(ctx, "a"); err != nil {
				t.Fatalf("step %d: Refund: %v", i, err)
			}
			continue
		}
		got, err := l.Allow(ctx, "a")
		if err != nil || got != st.want {
			t.Fatalf("step %d: Allow = %+v, %v; want %+v", i, got, err, st.want)
		}
	}
	// Three refunds after two allows left no key behind, then one allow wrote one.
	if n, err := rdb.Exists(ctx, subjectKey("test", "a")).Result(); err != nil || n != 1 {
		t.Errorf("key exists = %d, %v; want 1", n, err)
	}
	unlimited := New(nil, "free", Limit{})
	if err := unlimited.Refund(ctx, "a"); err != nil {
		t.Errorf("unlimited Refund: %v", err)
	}
}
