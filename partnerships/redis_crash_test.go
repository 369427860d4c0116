package partnerships

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAcceptanceSurvivesRedisCrash (issue 6 item 2): with AOF on and appendfsync
// always, accepts run concurrently and the redis-server is SIGKILLed when half of
// them were acknowledged; after a restart on the same directory every
// acknowledged acceptance is there, with its invitation accepted, and none twice.
func TestAcceptanceSurvivesRedisCrash(t *testing.T) {
	const n = 200
	e := newEnv(t, "--appendonly", "yes", "--appendfsync", "always")
	if e.srv.Dir == "" {
		t.Fatal("this test kills its redis-server: unset PARTNERLINK_TEST_REDIS_URL")
	}
	type job struct {
		inv      Invitation
		admin    string
		customer string
	}
	jobs := make([]job, n)
	for i := range n {
		p, _ := e.partner(fmt.Sprintf("partner%d", i))
		admin := fmt.Sprintf("admin@c%d.example", i)
		c := e.customer(fmt.Sprintf("c%d", i), admin)
		jobs[i] = job{e.invite(p.ID, admin, DelegatedAdmin), admin, c.ID}
	}

	var (
		acked  sync.Map // invitation id → acceptance id
		count  atomic.Int64
		failed atomic.Int64
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
		next   atomic.Int64
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				acc, _, err := e.s.Accept(ctx, acceptInput(jobs[i].inv, jobs[i].admin))
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				acked.Store(jobs[i].inv.ID, acc.ID)
				if count.Add(1) >= n/2 {
					once.Do(func() { e.srv.Kill(); close(killed) })
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d accepts succeeded; the server was never killed", count.Load())
	}
	e.srv.Restart()
	// The store's client finds the server again by itself: after a run of failed
	// dials go-redis probes once a second.
	for deadline := time.Now().Add(10 * time.Second); e.s.Ping(e.ctx) != nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the store did not reach the restarted server within 10s")
		}
	}

	lost, doubled := 0, 0
	for _, j := range jobs {
		accID, ok := acked.Load(j.inv.ID)
		accs, err := e.s.Acceptances(e.ctx, j.customer)
		if err != nil {
			t.Fatal(err)
		}
		if len(accs) > 1 {
			doubled++
		}
		if !ok {
			continue
		}
		acc, err := e.s.Acceptance(e.ctx, j.customer, accID.(string))
		if err != nil || acc.InvitationID != j.inv.ID {
			lost++
			t.Errorf("acknowledged acceptance %s of invitation %s: %+v, %v after the restart", accID, j.inv.ID, acc, err)
			continue
		}
		inv, err := e.s.Invitation(e.ctx, j.inv.ID)
		if err != nil || inv.Status != StatusAccepted {
			t.Errorf("invitation %s after the restart: %s, %v; want accepted", j.inv.ID, inv.Status, err)
		}
	}
	t.Logf("accepts acknowledged %d, failed while Redis was down %d, lost after the crash %d, accepted twice %d",
		count.Load(), failed.Load(), lost, doubled)
	if doubled > 0 {
		t.Errorf("%d customers hold two acceptances", doubled)
	}
}
