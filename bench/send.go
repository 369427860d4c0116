package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

// benchSend (item 1): invitations per second from POST /api/v1/invitations to
// SMTP-accepted (serve → Redis → worker → sink), against raw go-mail sending the
// same rendered invitation to the same sink over one reused connection.
func benchSend(ctx context.Context, e *env) ([]row, error) {
	n := e.o.sends
	m := e.cpuMeter()
	raw, err := rawGoMailRate(ctx, e, n)
	if err != nil {
		return nil, fmt.Errorf("raw go-mail: %w", err)
	}
	rawCPU := m.per(n)
	m = e.cpuMeter()
	got, posts, err := partnerlinkSendRate(ctx, e, n, "send")
	if err != nil {
		return nil, err
	}
	gotCPU := m.per(n)
	apiAlone, workerAlone, err := sendBreakdown(ctx, e, n)
	if err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	gotOne, rawOne, err := sendOnOneCPU(ctx, e, n)
	if err != nil {
		return nil, fmt.Errorf("on one CPU: %w", err)
	}
	ratio := got / raw
	// End to end is bound by CPU (the one-CPU run shows it): the CPUs it takes
	// to send 0.8 of raw's rate at the measured CPU time per invitation.
	cpusFor := 0.8 * raw * gotCPU.total.Seconds()
	return []row{{
		figure: fmt.Sprintf("1. send: %s invitations, API call → SMTP accepted (worker --concurrency %d --smtp-conns %d)", commas(float64(n)), e.o.concurrency, e.o.smtpConns),
		got:    fmt.Sprintf("%s /s (API alone %s posts/s)", commas(got), commas(posts)),
		ref:    fmt.Sprintf("raw go-mail, one connection, same sink: %s msgs/s", commas(raw)),
		ratio:  fmt.Sprintf("%.2f", ratio),
		target: "≥ 0.8",
		met:    metStr(ratio >= 0.8),
	}, {
		figure: "1. (breakdown) API alone, worker stopped / worker alone draining the queue",
		got:    fmt.Sprintf("API %s posts/s; worker %s sends/s", commas(apiAlone), commas(workerAlone)),
		ref:    fmt.Sprintf("raw go-mail %s msgs/s", commas(raw)),
		ratio:  fmt.Sprintf("worker %.2f", workerAlone/raw),
		target: "(diagnostic)",
	}, {
		figure: "1. (CPU) per invitation end to end; per raw message (bench = load generator + SMTP sink)",
		got:    gotCPU.String(),
		ref:    rawCPU.String(),
		target: "(diagnostic)",
	}, {
		figure: fmt.Sprintf("1. (CPUs) the same with every process confined to 1 CPU, against all %d", runtime.NumCPU()),
		got: fmt.Sprintf("%s /s on 1 CPU, %s /s on %d (%.2f×); 0.8 of raw at this CPU cost takes ≈ %.1f CPUs",
			commas(gotOne), commas(got), runtime.NumCPU(), got/gotOne, cpusFor),
		ref:    fmt.Sprintf("raw go-mail on 1 CPU: %s msgs/s", commas(rawOne)),
		ratio:  fmt.Sprintf("%.2f", gotOne/rawOne),
		target: "(diagnostic)",
	}}, nil
}

// sendOnOneCPU measures partnerlink end to end and raw go-mail again with every
// thread of every process confined to one CPU. Set beside the run on all CPUs,
// it shows which of the two grows with CPUs: end to end is bound by CPU, raw
// go-mail by one connection's round trips.
func sendOnOneCPU(ctx context.Context, e *env, n int) (got, raw float64, err error) {
	if err := e.pin(1); err != nil {
		return 0, 0, err
	}
	defer func() {
		if perr := e.pin(0); perr != nil && err == nil {
			err = perr
		}
	}()
	if raw, err = rawGoMailRate(ctx, e, n); err != nil {
		return 0, 0, fmt.Errorf("raw go-mail: %w", err)
	}
	if got, _, err = partnerlinkSendRate(ctx, e, n, "send-1cpu"); err != nil {
		return 0, 0, err
	}
	return got, raw, nil
}

// sendBreakdown posts n invitations while the worker is stopped (SIGSTOP): the
// API's rate alone; then lets the worker go (SIGCONT) and times the drain: the
// worker's rate alone, with the SMTP connections already open.
func sendBreakdown(ctx context.Context, e *env, n int) (api, worker float64, err error) {
	pid := e.worker.Process.Pid
	before := e.sink.Received()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return 0, 0, err
	}
	stopped := true
	defer func() {
		if stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	_, api, err = postAll(ctx, e, n)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		return 0, 0, err
	}
	stopped = false
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.sink.WaitReceived(wctx, before+n); err != nil {
		return 0, 0, fmt.Errorf("waiting for %d messages: %w", n, err)
	}
	return api, float64(n) / time.Since(start).Seconds(), nil
}

// rawGoMailRate sends n copies of a rendered invitation with a plain go-mail
// client (WithoutNoop, as the mailer) over one connection and returns msgs/s.
func rawGoMailRate(ctx context.Context, e *env, n int) (float64, error) {
	set, err := templates.New()
	if err != nil {
		return 0, err
	}
	data, err := templates.Sample(templates.KindInvitation, partnerships.DelegatedAdmin)
	if err != nil {
		return 0, err
	}
	r, err := set.Render(templates.KindInvitation, "en", data)
	if err != nil {
		return 0, err
	}
	host, portS, err := net.SplitHostPort(e.sink.Addr())
	if err != nil {
		return 0, err
	}
	port, _ := strconv.Atoi(portS)
	c, err := gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS),
		gomail.WithHELO("partnerlink.example"), gomail.WithoutNoop())
	if err != nil {
		return 0, err
	}
	if err := c.DialWithContext(ctx); err != nil {
		return 0, err
	}
	defer c.Close()
	before := e.sink.Received()
	start := time.Now()
	for i := range n {
		m := gomail.NewMsg()
		if err := m.FromFormat("partnerlink", "noreply@partnerlink.example"); err != nil {
			return 0, err
		}
		if err := m.AddToFormat("Fabrikam admin", "admin@fabrikam.example"); err != nil {
			return 0, err
		}
		m.Subject(r.Subject)
		m.SetMessageIDWithValue(fmt.Sprintf("invitation.in_raw%d@partnerlink.example", i))
		m.SetDate()
		m.SetBodyString(gomail.TypeTextPlain, r.Text)
		m.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
		if err := c.Send(m); err != nil {
			return 0, err
		}
	}
	if err := e.sink.WaitReceived(ctx, before+n); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// partnerlinkSendRate posts n invitations (16 clients at once, keep-alive) and
// waits until the sink has received every message. It returns invitations/s end
// to end and API posts/s. With -profile, serve's and worker's CPU profiles of
// the run are written as DIR/<process>-<label>.pprof.
func partnerlinkSendRate(ctx context.Context, e *env, n int, label string) (float64, float64, error) {
	const clients = 16
	hc := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	body := fmt.Appendf(nil, `{"customer_email":%q,"relationship_type":"delegated_admin","locale":"en"}`, e.adminEmail)
	// One invitation first, so the worker is warm and its SMTP connections open.
	before := e.sink.Received()
	if err := postInvitation(ctx, hc, e, body); err != nil {
		return 0, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.sink.WaitReceived(wctx, before+1); err != nil {
		return 0, 0, fmt.Errorf("the first invitation never reached the sink: %w", err)
	}
	before++

	est := time.Duration(float64(n)/300*float64(time.Second)) / 2 // about half the run on a loaded machine
	waitServe := e.profile(ctx, "serve", label, est)
	waitWorker := e.profile(ctx, "worker", label, est)
	defer waitServe()
	defer waitWorker()
	start, posts, err := postAll(ctx, e, n)
	if err != nil {
		return 0, 0, err
	}
	wctx2, cancel2 := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel2()
	if err := e.sink.WaitReceived(wctx2, before+n); err != nil {
		return 0, 0, fmt.Errorf("waiting for %d messages: %w", n, err)
	}
	elapsed := time.Since(start)
	return float64(n) / elapsed.Seconds(), posts, nil
}

// postAll posts n invitations from 16 keep-alive clients at once; it returns
// when it started and the posts per second.
func postAll(ctx context.Context, e *env, n int) (time.Time, float64, error) {
	const clients = 16
	hc := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	body := fmt.Appendf(nil, `{"customer_email":%q,"relationship_type":"delegated_admin","locale":"en"}`, e.adminEmail)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		postErr error
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := postInvitation(ctx, hc, e, body); err != nil {
					errOnce.Do(func() { postErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if postErr != nil {
		return start, 0, postErr
	}
	return start, float64(n) / time.Since(start).Seconds(), nil
}

func postInvitation(ctx context.Context, hc *http.Client, e *env, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", e.base+"/api/v1/invitations", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	return expect(hc, req, http.StatusCreated, "POST /api/v1/invitations")
}
