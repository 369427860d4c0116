package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/pace"
)

// Observability (metrics): each process has its own registry with the Go and
// process collectors and partnerlink's own.

// newMetrics returns the process's collectors and the registry they are on.
func newMetrics() (*metrics.Metrics, *prometheus.Registry, error) {
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return nil, nil, err
	}
	return m, reg, nil
}

// watchQueues exports the depth of partnerlink's task queues, read through insp.
func watchQueues(m *metrics.Metrics, insp *asynq.Inspector) error {
	return m.WatchQueues(insp, jobs.QueueMail)
}

// observeJobs makes the sender and every route handler that counts something
// (expiries) count it in m.
func observeJobs(m *metrics.Metrics, sender *jobs.Sender, routes []jobs.Route) {
	sender.SetMetrics(m)
	for _, r := range routes {
		if h, ok := r.Handler.(interface{ SetMetrics(*metrics.Metrics) }); ok {
			h.SetMetrics(m)
		}
	}
}

// serveMetrics serves /metrics (g) and /healthz (ping) on addr until ctx ends,
// for the processes without an HTTP server of their own (worker, scheduler,
// inbox). addr "" serves nothing. It returns once listening, or with the error
// of listening.
func serveMetrics(ctx context.Context, addr string, g prometheus.Gatherer, ping func(context.Context) error, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: listen on %s: %w", addr, err)
	}
	log.Info("serving metrics", "addr", ln.Addr().String(), "paths", "/metrics /healthz")
	go func() {
		if err := serveHTTP(ctx, ln, metricsMux(g, ping, log), log); err != nil {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// metricsMux is the handler of --metrics-addr: /metrics and /healthz.
func metricsMux(g prometheus.Gatherer, ping func(context.Context) error, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(g))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ping(ctx); err != nil {
			log.Warn("health check: redis unreachable", "err", err)
			http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// parseMetricsAddr checks --metrics-addr: empty, or host:port.
func (f *flags) parseMetricsAddr() error {
	if !f.usedAs["metrics-addr"] || f.cfg.MetricsAddr == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(f.cfg.MetricsAddr); err != nil || port == "" {
		return configErrorf("--metrics-addr (PARTNERLINK_METRICS_ADDR) %q: want host:port, e.g. 127.0.0.1:9090", f.cfg.MetricsAddr)
	}
	return nil
}

// observeWorker counts the worker's sends and expiries, exports its send pace,
// the backlog and the queue depths, and serves them on addr.
func observeWorker(ctx context.Context, addr string, sender *jobs.Sender, routes []jobs.Route, pacer *pace.Pacer, insp *asynq.Inspector, rdb redis.UniversalClient, log *slog.Logger) error {
	m, reg, err := newMetrics()
	if err != nil {
		return err
	}
	observeJobs(m, sender, routes)
	if err := watchQueues(m, insp); err != nil {
		return err
	}
	if err := m.WatchPace(pacer, func() (int, error) { return pace.Backlog(insp, jobs.QueueMail) }); err != nil {
		return err
	}
	return serveMetrics(ctx, addr, reg, func(ctx context.Context) error { return rdb.Ping(ctx).Err() }, log)
}

// observeProcess serves the metrics of scheduler and inbox on addr (nothing when
// addr is empty): the queue depths, and what set (when not nil) makes the
// process count.
func observeProcess(ctx context.Context, addr string, set func(*metrics.Metrics), connOpt asynq.RedisConnOpt, rdb redis.UniversalClient, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	m, reg, err := newMetrics()
	if err != nil {
		return err
	}
	if set != nil {
		set(m)
	}
	insp := asynq.NewInspector(connOpt)
	context.AfterFunc(ctx, func() { insp.Close() })
	if err := watchQueues(m, insp); err != nil {
		return err
	}
	return serveMetrics(ctx, addr, reg, func(ctx context.Context) error { return rdb.Ping(ctx).Err() }, log)
}

// serveObs is what serve exports: its collectors, the /metrics handler and the
// SMTP check of /readyz.
type serveObs struct {
	metrics   *metrics.Metrics
	handler   http.Handler
	smtpCheck func(context.Context) error
	close     func()
}

// serveObservability sets up serve's metrics, with the queue depths.
func serveObservability(connOpt asynq.RedisConnOpt, smtpCheck func(context.Context) error) (serveObs, error) {
	m, reg, err := newMetrics()
	if err != nil {
		return serveObs{}, err
	}
	insp := asynq.NewInspector(connOpt)
	o := serveObs{metrics: m, handler: metrics.Handler(reg), smtpCheck: smtpCheck, close: func() { insp.Close() }}
	if err := watchQueues(m, insp); err != nil {
		o.close()
		return serveObs{}, err
	}
	return o, nil
}

// readySMTP is the SMTP check of serve's /readyz: a dial, EHLO and QUIT to
// --smtp-url; nil when it is not set.
func readySMTP(cfg config, lb *links.Builder, log *slog.Logger) (func(context.Context) error, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	mc, err := mailerConfig(cfg.SMTPURL, "", lb)
	if err != nil {
		return nil, err
	}
	mc.Timeout = 3 * time.Second
	probe, err := mailer.New(mc, log.With("component", "readyz"))
	if err != nil {
		return nil, configErrorf("--smtp-url (PARTNERLINK_SMTP_URL): %v", err)
	}
	return probe.Ping, nil
}

// devObservability is dev's metrics on its HTTP address; the queue inspector
// closes when ctx ends.
func devObservability(ctx context.Context, connOpt asynq.RedisConnOpt) (serveObs, error) {
	o, err := serveObservability(connOpt, nil)
	if err != nil {
		return serveObs{}, err
	}
	context.AfterFunc(ctx, o.close)
	return o, nil
}
