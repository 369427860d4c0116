package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name.
const namespace = "partnerlink"

// Invitation statuses counted by Invitation: the transitions an invitation goes
// through.
const (
	StatusCreated  = "created"
	StatusSent     = "sent"
	StatusAccepted = "accepted"
	StatusDeclined = "declined"
	StatusExpired  = "expired"
	StatusRevoked  = "revoked"
	StatusFailed   = "failed"
	StatusBounced  = "bounced"
)

// Statuses lists every invitation status label, in lifecycle order.
var Statuses = []string{StatusCreated, StatusSent, StatusAccepted, StatusDeclined, StatusExpired, StatusRevoked, StatusFailed, StatusBounced}

// Send outcomes counted by Send.
const (
	OutcomeSent      = "sent"      // the SMTP server took the message
	OutcomeTemporary = "temporary" // a temporary failure; the task is retried
	OutcomePermanent = "permanent" // given up: the invitation is marked failed
	OutcomeDeferred  = "deferred"  // the send pace handed it back to wait for its turn
	OutcomeSkipped   = "skipped"   // nothing to send (no longer pending)
)

// Outcomes lists every send outcome label.
var Outcomes = []string{OutcomeSent, OutcomeTemporary, OutcomePermanent, OutcomeDeferred, OutcomeSkipped}

// RouteUnmatched is the route label of a request no route matched (a 404 or 405
// from the mux), so that raw paths never become labels.
const RouteUnmatched = "unmatched"

// Metrics is one process's collectors. The zero of *Metrics (nil) records nothing.
type Metrics struct {
	reg prometheus.Registerer

	invitations  *prometheus.CounterVec
	sends        *prometheus.CounterVec
	sendSeconds  *prometheus.HistogramVec
	inboxLag     *prometheus.HistogramVec
	httpRequests *prometheus.CounterVec
	httpSeconds  *prometheus.HistogramVec
}

// New registers partnerlink's collectors on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: a registerer is required")
	}
	m := &Metrics{
		reg: reg,
		invitations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "invitations_total",
			Help: "Invitation transitions made by this process, by the status entered (created, sent, accepted, declined, expired, revoked, failed, bounced).",
		}, []string{"status"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sends_total",
			Help: "Invitation send attempts by outcome (sent, temporary, permanent, deferred, skipped).",
		}, []string{"outcome"}),
		sendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "send_duration_seconds",
			Help:    "Time to hand one invitation email to SMTP (including any wait for the send pace), by outcome.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"outcome"}),
		inboxLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "inbox_lag_seconds",
			Help:    "Time from a mail's Date header to the inbox having handled it, by kind (processed, rejected).",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600},
		}, []string{"folder"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests by route (the mux pattern, e.g. \"GET /invite/{token}\") and status code.",
		}, []string{"route", "code"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.invitations, m.sends, m.sendSeconds, m.inboxLag, m.httpRequests, m.httpSeconds} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	// Every status and outcome is exported from the start, at 0, so a rate over
	// a series that has not happened yet is 0 and not "no data".
	for _, s := range Statuses {
		m.invitations.WithLabelValues(s)
	}
	for _, o := range Outcomes {
		m.sends.WithLabelValues(o)
	}
	return m, nil
}

// NewRegistry returns a registry with the Go runtime and process collectors, the
// usual base of a process's /metrics.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the text exposition of g's metrics.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Invitation counts an invitation entering status (one of Statuses).
func (m *Metrics) Invitation(status string) {
	if m == nil {
		return
	}
	m.invitations.WithLabelValues(status).Inc()
}

// Send counts one send attempt with its outcome (one of Outcomes) and how long
// handing it to SMTP took; took 0 (nothing was handed over: skipped, or refused
// before sending) counts the attempt but not its latency.
func (m *Metrics) Send(outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.sends.WithLabelValues(outcome).Inc()
	if took > 0 {
		m.sendSeconds.WithLabelValues(outcome).Observe(took.Seconds())
	}
}

// InboxLag records how long after it was written a mail was handled; folder is
// where it went (processed, rejected).
func (m *Metrics) InboxLag(folder string, lag time.Duration) {
	if m == nil {
		return
	}
	if lag < 0 { // a sender's clock ahead of ours
		lag = 0
	}
	m.inboxLag.WithLabelValues(folder).Observe(lag.Seconds())
}

// HTTPRequest counts one served request. route is the mux pattern that matched
// ("" for none); never pass a raw path.
func (m *Metrics) HTTPRequest(route string, code int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = RouteUnmatched
	}
	m.httpRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.httpSeconds.WithLabelValues(route).Observe(took.Seconds())
}
