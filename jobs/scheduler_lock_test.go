package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// TestSchedulerLock: one holder at a time; the holder renews; release frees it for
// another; a lapsed lock is taken over.
func TestSchedulerLock(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	a, b := newSchedulerLock(rdb, time.Minute), newSchedulerLock(rdb, time.Minute)
	steps := []struct {
		name string
		lock *schedulerLock
		want bool
	}{
		{"a takes it", a, true},
		{"b is refused", b, false},
		{"a renews", a, true},
	}
	for _, s := range steps {
		if got, err := s.lock.hold(ctx); err != nil || got != s.want {
			t.Fatalf("%s: hold = %v, %v; want %v", s.name, got, err, s.want)
		}
	}
	if ttl := rdb.PTTL(ctx, schedulerLockKey).Val(); ttl < 50*time.Second {
		t.Errorf("after renewal the lock lives %v, want about a minute", ttl)
	}
	if err := b.release(ctx); err != nil { // not b's: nothing happens
		t.Fatal(err)
	}
	if got, _ := b.hold(ctx); got {
		t.Fatal("b took the lock after releasing a lock it did not hold")
	}
	if err := a.release(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := b.hold(ctx); err != nil || !got {
		t.Fatalf("b after a released: hold = %v, %v", got, err)
	}
	// b stops without releasing: once its lock lapses, a takes over.
	if err := rdb.PExpire(ctx, schedulerLockKey, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lapsed lock", func() bool { got, _ := a.hold(ctx); return got })
}
