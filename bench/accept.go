package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// benchAccept (item 2): POST /invite/{token}/accept from an open-loop load
// generator at o.acceptRate for o.acceptDuration (p50, p99 measured from each
// request's send; every request has its own goroutine, so a stall counts against
// every request it delays; the p99 from the scheduled start is shown too),
// twice: with the worker paused (SIGSTOP: the POST alone; the notification email
// each accept queues is sent after the run, and their drain is timed), and with
// the worker running and sending them meanwhile on the same cores. Then
// the maximum rate with o.maxWorkers closed-loop clients for o.maxDuration, next to
// redis-benchmark's SET rate on the same redis-server. Every accept is its own sent
// invitation to its own customer.
func benchAccept(ctx context.Context, e *env) ([]row, error) {
	openN := int(float64(e.o.acceptRate) * e.o.acceptDuration.Seconds())
	// The closed-loop run gets up to 3,000 accepts/s worth of invitations.
	maxN := int(3000 * e.o.maxDuration.Seconds())
	e.log.Info("creating sent invitations for the accept runs", "n", 2*openN+maxN)
	links, err := sentInvitations(ctx, e, 2*openN+maxN)
	if err != nil {
		return nil, err
	}
	form, err := acceptForm(ctx, e, links[0])
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}}
	defer hc.CloseIdleConnections()

	// Open loop, worker paused.
	pid := e.worker.Process.Pid
	sent := e.sink.Received()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return nil, err
	}
	accept := func(links []string) func(int) error {
		return func(i int) error { return postAccept(ctx, hc, e.base, links[i], form) }
	}
	paused := openLoop(ctx, e, openN, accept(links[:openN]))
	// The reference: the same serve answering GET /healthz (one Redis PING)
	// at the same rate, for at most 10 s, the worker still paused.
	healthN := min(openN, 10*e.o.acceptRate)
	health := openLoop(ctx, e, healthN, func(int) error { return getHealthz(ctx, hc, e.base) })
	drainStart := time.Now()
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		return nil, err
	}
	// Each accept queued one notification email to the partner (accepted, with the agreement signed).
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	notices := openN - int(paused.failed)
	if err := e.sink.WaitReceived(wctx, sent+notices); err != nil {
		return nil, fmt.Errorf("waiting for the %d notification emails of the paused run: %w", notices, err)
	}
	drain := float64(notices) / time.Since(drainStart).Seconds()

	// Open loop, worker running.
	running := openLoop(ctx, e, openN, accept(links[openN:2*openN]))

	// Closed loop: the maximum rate.
	var next, ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	rest := links[2*openN:]
	waitProfile := e.profile(ctx, "serve", "accept", e.o.maxDuration)
	m := e.cpuMeter()
	deadline := time.Now().Add(e.o.maxDuration)
	start := time.Now()
	for range e.o.maxWorkers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if int(i) >= len(rest) {
					return
				}
				if err := postAccept(ctx, hc, e.base, rest[i], form); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	maxRate := float64(ok.Load()) / time.Since(start).Seconds()
	acceptCPU := m.per(int(ok.Load()))
	waitProfile()
	if f := failed.Load(); f > 0 {
		e.log.Warn("accepts failed in the closed-loop run", "failed", f, "first", firstErr.Load())
	}
	setRate, err := redisBenchmarkSet(ctx, e)
	if err != nil {
		return nil, err
	}
	rtt50, rtt99, err := redisRoundTrip(ctx, e)
	if err != nil {
		return nil, err
	}
	figure := fmt.Sprintf("2. accept POST at %s req/s open loop for %v", commas(float64(e.o.acceptRate)), e.o.acceptDuration)
	return []row{
		paused.row(figure+", worker paused (the POST alone)",
			fmt.Sprintf("GET /healthz (one Redis PING), same serve and rate, %s requests: p50 %s, p99 %s; one Redis round trip on this machine (redis-benchmark PING, 1 client): p50 %s ms, p99 %s ms; afterwards the worker sent the %s notification emails at %s /s",
				commas(float64(health.n)), ms(health.p50), ms(health.p99), rtt50, rtt99, commas(float64(notices)), commas(drain))),
		running.row(figure+", worker running (sending each accept's notification email on the same cores)", ""),
		{
			figure: fmt.Sprintf("2. accept POST maximum rate (%d clients, %v, worker running)", e.o.maxWorkers, e.o.maxDuration),
			got:    commas(maxRate) + " /s",
			ref:    fmt.Sprintf("redis-benchmark SET, same Redis: %s /s", commas(setRate)),
			ratio:  fmt.Sprintf("%.3f", maxRate/setRate),
			target: "(reported)", met: "",
		},
		{
			figure: "2. (CPU) per accept in the maximum-rate run (worker: its notifications)",
			got:    acceptCPU.String(), target: "(diagnostic)",
		},
	}, nil
}

// openLoopResult is one open-loop run's latencies.
type openLoopResult struct {
	n        int
	p50, p99 time.Duration // from each request's send to its answer
	// p99 from each request's scheduled start, and of the time between that
	// start and the send: the load generator's own lag (it shares the cores).
	p99Scheduled, p99Lag time.Duration
	failed               int64
	elapsed              time.Duration
}

func (r openLoopResult) row(figure, ref string) row {
	return row{
		figure: figure,
		got: fmt.Sprintf("p50 %s, p99 %s (%s sent in %.1f s, %d failed; from the scheduled start p99 %s, the generator's lag p99 %s)",
			ms(r.p50), ms(r.p99), commas(float64(r.n)), r.elapsed.Seconds(), r.failed, ms(r.p99Scheduled), ms(r.p99Lag)),
		ref: ref, target: "p99 ≤ 5 ms", met: metStr(r.p99 <= 5*time.Millisecond && r.failed == 0),
	}
}

// openLoop makes n requests (do(i) for each i) at o.acceptRate, each on its
// own schedule whatever the answers before it (every request its own
// goroutine, so a slow answer delays no other request's send), and measures
// each from its send, and from its scheduled start.
func openLoop(ctx context.Context, e *env, n int, do func(i int) error) openLoopResult {
	lat := make([]time.Duration, n)
	sched := make([]time.Duration, n)
	lag := make([]time.Duration, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(e.o.acceptRate)
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			sent := time.Now()
			if err := do(i); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			lat[i], sched[i], lag[i] = time.Since(sent), time.Since(at), sent.Sub(at)
		})
	}
	wg.Wait()
	r := openLoopResult{n: n, failed: failed.Load(), elapsed: time.Since(start)}
	if r.failed > 0 {
		e.log.Warn("requests failed in an open-loop run (counted with their time)", "failed", r.failed, "of", n, "first", firstErr.Load())
	}
	for _, l := range [][]time.Duration{lat, sched, lag} {
		slices.Sort(l)
	}
	p99 := len(lat) * 99 / 100
	r.p50, r.p99 = lat[len(lat)*50/100], lat[p99]
	r.p99Scheduled, r.p99Lag = sched[p99], lag[p99]
	return r
}

// sentInvitations creates n customers, one sent invitation to each from the seed
// partner, and returns their link tokens (signed as the worker signs them).
func sentInvitations(ctx context.Context, e *env, n int) ([]string, error) {
	out := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || firstErr.Load() != nil {
					return
				}
				tok, err := sentInvitation(ctx, e, i)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				out[i] = tok
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	return out, nil
}

func sentInvitation(ctx context.Context, e *env, i int) (string, error) {
	email := fmt.Sprintf("admin@a%d.example", i)
	if _, err := e.store.CreateCustomer(ctx, fmt.Sprintf("Accept %d", i), fmt.Sprintf("a%d.example", i),
		partnerships.CustomerUser{Email: email, Name: "Admin", Role: partnerships.GlobalAdmin}); err != nil {
		return "", fmt.Errorf("create customer: %w", err)
	}
	inv, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: e.partner.ID, Email: email,
		Type: partnerships.DelegatedAdmin, Locale: "en", TTL: 24 * time.Hour})
	if err != nil {
		return "", fmt.Errorf("create invitation: %w", err)
	}
	if inv, err = e.store.MarkSent(ctx, inv.ID, "<invitation."+inv.ID+"@partnerlink.example>"); err != nil {
		return "", fmt.Errorf("mark sent: %w", err)
	}
	tok, _, err := e.ring.Issue(tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID,
		Recipient: inv.Email, IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
	return tok, err
}

var hiddenField = regexp.MustCompile(`name="(agreement_version|agreement_locale|agreement_sha256)" value="([^"]*)"`)

// csrfValue is the double-submit token every accept carries in its cookie and form.
const csrfValue = "benchbenchbenchbenchbenchbenchbenchbenchben" // 43 characters

// acceptForm reads the agreement fields from one review page (GET, changes
// nothing) and returns the accept form.
func acceptForm(ctx context.Context, e *env, token string) (url.Values, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/invite/"+token, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET review page: %s", resp.Status)
	}
	form := url.Values{"csrf": {csrfValue}, "agree": {"yes"}}
	for _, m := range hiddenField.FindAllSubmatch(page, -1) {
		form.Set(string(m[1]), string(m[2]))
	}
	if len(form) != 5 {
		return nil, errors.New("the review page lacks the agreement fields")
	}
	return form, nil
}

func postAccept(ctx context.Context, hc *http.Client, base, token string, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/invite/"+token+"/accept", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "pl_csrf="+csrfValue)
	return expect(hc, req, http.StatusOK, "POST accept")
}

func getHealthz(ctx context.Context, hc *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/healthz", nil)
	if err != nil {
		return err
	}
	return expect(hc, req, http.StatusOK, "GET /healthz")
}

// redisRoundTrip is the p50 and p99 in ms of one round trip to the same
// redis-server from one client (redis-benchmark PING): the floor under each
// of the accept's sequential Redis round trips, on this machine.
func redisRoundTrip(ctx context.Context, e *env) (p50, p99 string, err error) {
	out, err := exec.CommandContext(ctx, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(e.redisPort),
		"-c", "1", "-n", "20000", "-t", "ping_mbulk", "--csv").Output()
	if err != nil {
		return "", "", fmt.Errorf("redis-benchmark: %w", err)
	}
	// "PING_MBULK","6067.96","0.155","0.016","0.127","0.375","0.575","4.487"
	// (test, rps, avg, min, p50, p95, p99, max)
	m := regexp.MustCompile(`"PING_MBULK","[0-9.]+","[0-9.]+","[0-9.]+","([0-9.]+)","[0-9.]+","([0-9.]+)"`).FindSubmatch(out)
	if m == nil {
		return "", "", fmt.Errorf("redis-benchmark printed no PING latencies: %q", out)
	}
	return string(m[1]), string(m[2]), nil
}

// redisBenchmarkSet runs redis-benchmark's SET test against the run's Redis and
// returns its requests per second.
func redisBenchmarkSet(ctx context.Context, e *env) (float64, error) {
	out, err := exec.CommandContext(ctx, "redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(e.redisPort),
		"-t", "set", "-n", "200000", "-q").Output()
	if err != nil {
		return 0, fmt.Errorf("redis-benchmark: %w", err)
	}
	// "SET: 98765.43 requests per second, p50=0.255 msec"
	m := regexp.MustCompile(`SET: ([0-9.]+) requests per second`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("redis-benchmark printed no SET rate: %q", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
