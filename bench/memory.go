package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// benchMemory (item 5): stores o.memInvitations invitations (CreateInvitation, the
// store's own script, from 64 goroutines: 100 partners × 1,000 customers), then
// warms serve and worker (API reads, 200 invitations sent) and reads their
// resident memory, and Redis's used_memory per stored invitation.
func benchMemory(ctx context.Context, e *env) ([]row, error) {
	const partners, customers = 100, 1000
	n := e.o.memInvitations
	ps := make([]string, partners)
	keys := make([]string, partners)
	for i := range ps {
		p, key, err := e.store.CreatePartner(ctx, fmt.Sprintf("Partner %d", i), fmt.Sprintf("p@p%d.example", i))
		if err != nil {
			return nil, err
		}
		ps[i], keys[i] = p.ID, key
	}
	emails := make([]string, customers)
	for i := range emails {
		emails[i] = fmt.Sprintf("admin@m%d.example", i)
		if _, err := e.store.CreateCustomer(ctx, fmt.Sprintf("Memory %d", i), fmt.Sprintf("m%d.example", i),
			partnerships.CustomerUser{Email: emails[i], Name: "Admin", Role: partnerships.GlobalAdmin}); err != nil {
			return nil, err
		}
	}
	before, err := e.redisUsedMemory(ctx)
	if err != nil {
		return nil, err
	}
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			for firstErr.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if _, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: ps[i%partners],
					Email: emails[(i/partners)%customers], Type: partnerships.DelegatedAdmin, Locale: "en",
					Message: "Looking forward to working with you.", TTL: 14 * 24 * time.Hour}); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if i > 0 && i%100_000 == 0 {
					e.log.Info("stored", "invitations", i, "per_second", int(float64(i)/time.Since(start).Seconds()))
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, fmt.Errorf("store invitations: %w", err)
	}
	loadRate := float64(n) / time.Since(start).Seconds()
	after, err := e.redisUsedMemory(ctx)
	if err != nil {
		return nil, err
	}
	// Serve and worker as they are after items 1 and 2 (the open-loop accept run
	// may have overloaded serve), then restarted fresh with the data in place.
	serveUsed, _ := rssKiB(e.serve.Process.Pid)
	workerUsed, _ := rssKiB(e.worker.Process.Pid)
	if err := e.restart(ctx); err != nil {
		return nil, fmt.Errorf("restart serve and worker: %w", err)
	}
	// Warm both processes with the data in place: list and read through the API,
	// and send 200 more invitations through the worker.
	hc := &http.Client{Timeout: 30 * time.Second}
	for i := range 20 {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/api/v1/invitations", nil)
		req.Header.Set("Authorization", "Bearer "+keys[i%partners])
		if err := expect(hc, req, http.StatusOK, "GET /api/v1/invitations"); err != nil {
			return nil, err
		}
	}
	sinkBefore := e.sink.Received()
	body := fmt.Appendf(nil, `{"customer_email":%q,"relationship_type":"delegated_admin","locale":"en"}`, e.adminEmail)
	for range 200 {
		if err := postInvitation(ctx, hc, e, body); err != nil {
			return nil, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := e.sink.WaitReceived(wctx, sinkBefore+200); err != nil {
		return nil, err
	}
	serveKiB, err := rssKiB(e.serve.Process.Pid)
	if err != nil {
		return nil, fmt.Errorf("serve RSS: %w", err)
	}
	workerKiB, err := rssKiB(e.worker.Process.Pid)
	if err != nil {
		return nil, fmt.Errorf("worker RSS: %w", err)
	}
	redisKiB, _ := rssKiB(e.redisCmd.Process.Pid)
	total := float64(serveKiB+workerKiB) / 1024
	perInv := float64(after-before) / float64(n)
	return []row{
		{
			figure: fmt.Sprintf("5. RSS of serve + worker, %s invitations stored (restarted, 20 API lists, 200 sends)", commas(float64(n))),
			got:    fmt.Sprintf("%.1f MiB (serve %.1f + worker %.1f)", total, float64(serveKiB)/1024, float64(workerKiB)/1024),
			ref: fmt.Sprintf("before the restart, after items 1-2: serve %.1f + worker %.1f MiB; redis-server RSS %.0f MiB",
				float64(serveUsed)/1024, float64(workerUsed)/1024, float64(redisKiB)/1024),
			ratio: "", target: "≤ 100 MiB", met: metStr(total <= 100),
		},
		{
			figure: "5. Redis used_memory per stored invitation",
			got:    fmt.Sprintf("%s bytes (%.0f MiB for %s)", commas(perInv), float64(after-before)/(1<<20), commas(float64(n))),
			ref:    fmt.Sprintf("stored at %s invitations/s through Store.CreateInvitation", commas(loadRate)),
			ratio:  "", target: "(reported)", met: "",
		},
	}, nil
}
