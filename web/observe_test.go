package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// obsEnv is the server on a real redis-server with its own metrics registry
// (serving /metrics), the queue depths read through a real inspector, a real
// SMTP sink for /readyz and the send handler, and its logs captured as JSON.
type obsEnv struct {
	t       *testing.T
	ctx     context.Context
	redis   *testredis.Server
	store   *partnerships.Store
	ring    *tokens.Ring
	links   *links.Builder
	tpl     *templates.Set
	http    *httptest.Server
	insp    *asynq.Inspector
	sink    *mailsink.Sink
	mail    *mailer.Mailer
	metrics *metrics.Metrics
	logs    *syncBuffer
	key     string // the partner's API key
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// lines returns the JSON log records written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.b.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, rec)
	}
	return out
}

// newObsEnv starts the server; smtp says whether /readyz checks the sink.
func newObsEnv(t *testing.T, smtp bool) *obsEnv {
	t.Helper()
	e := &obsEnv{t: t, ctx: context.Background(), logs: &syncBuffer{}}
	e.redis = testredis.Start(t)
	rdb := e.redis.Client()
	e.store = partnerships.NewStore(rdb)
	key, err := tokens.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	if e.ring, err = tokens.NewRing([]tokens.Key{key}); err != nil {
		t.Fatal(err)
	}
	if e.sink, err = mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sink.Close() })
	host, port, _ := net.SplitHostPort(e.sink.Addr())
	portN, _ := strconv.Atoi(port)
	if e.mail, err = mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone,
		From: "noreply@partnerlink.test", Timeout: 2 * time.Second}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.mail.Close() })

	reg := prometheus.NewRegistry()
	if e.metrics, err = metrics.New(reg); err != nil {
		t.Fatal(err)
	}
	conn := asynq.RedisClientOpt{Addr: e.redis.Addr}
	e.insp = asynq.NewInspector(conn)
	t.Cleanup(func() { e.insp.Close() })
	if err := e.metrics.WatchQueues(e.insp, jobs.QueueMail); err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(conn)
	t.Cleanup(func() { client.Close() })

	var handler http.Handler
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.http.Close)
	if e.links, err = links.New(e.http.URL); err != nil {
		t.Fatal(err)
	}
	if e.tpl, err = templates.New(); err != nil {
		t.Fatal(err)
	}
	d := Deps{
		Store: e.store, Tokens: e.ring, Agreements: agreements.Sample(), Templates: e.tpl, Links: e.links,
		Enqueuer: jobs.NewEnqueuer(client), Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), RDB: rdb,
		Metrics: e.metrics, MetricsHandler: metrics.Handler(reg),
	}
	if smtp {
		d.SMTPCheck = e.mail.Ping
	}
	srv, err := New(Config{InviteTTL: 14 * 24 * time.Hour}, d)
	if err != nil {
		t.Fatal(err)
	}
	handler = srv
	partner, apiKey, err := e.store.CreatePartner(e.ctx, "Contoso Ltd", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	_ = partner
	e.key = apiKey
	if _, err := e.store.CreateCustomer(e.ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: envAdmin, Name: "Ada", Role: partnerships.GlobalAdmin}); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request and returns the response with its body read.
func (e *obsEnv) do(method, path string, header map[string]string, body string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// scrape reads /metrics as a client would and returns every sample as
// `name{labels}` → value.
func (e *obsEnv) scrape() map[string]float64 {
	e.t.Helper()
	resp, body := e.do("GET", "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /metrics = %d: %s", resp.StatusCode, body)
	}
	samples := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("bad sample line %q", line)
		}
		samples[line[:i]] = v
	}
	return samples
}

// TestMetricsAfterRealActions creates an invitation through the API and runs the
// queued send task through the real send handler against the SMTP sink; each
// step shows in a real scrape of /metrics.
func TestMetricsAfterRealActions(t *testing.T) {
	e := newObsEnv(t, true)
	before := e.scrape()
	for _, s := range []string{
		`partnerlink_invitations_total{status="created"}`, `partnerlink_invitations_total{status="sent"}`,
		`partnerlink_sends_total{outcome="sent"}`, `partnerlink_queue_tasks{queue="mail",state="pending"}`,
	} {
		if v, ok := before[s]; !ok || v != 0 {
			t.Errorf("before any action %s = %v (present %v), want 0", s, v, ok)
		}
	}

	resp, body := e.do("POST", "/api/v1/invitations", map[string]string{"Authorization": "Bearer " + e.key, "Content-Type": "application/json"},
		`{"customer_email":"`+envAdmin+`","relationship_type":"reseller"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create invitation: %d %s", resp.StatusCode, body)
	}
	created := e.scrape()
	for s, want := range map[string]float64{
		`partnerlink_invitations_total{status="created"}`:                                   1,
		`partnerlink_http_requests_total{code="201",route="POST /api/v1/invitations"}`:      1,
		`partnerlink_http_request_duration_seconds_count{route="POST /api/v1/invitations"}`: 1,
		`partnerlink_queue_tasks{queue="mail",state="pending"}`:                             1,
		`partnerlink_queue_up{queue="mail"}`:                                                1,
		`partnerlink_sends_total{outcome="sent"}`:                                           0,
	} {
		if got := created[s]; got != want {
			t.Errorf("after create: %s = %v, want %v", s, got, want)
		}
	}

	// The worker's part: the queued task, through the real send handler.
	pending, err := e.insp.ListPendingTasks(jobs.QueueMail)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending tasks = %v, %v; want 1", pending, err)
	}
	sender := jobs.NewSender(e.store, e.tpl, e.mail, e.ring, e.links, "partnerlink.test", slog.New(slog.DiscardHandler))
	sender.SetMetrics(e.metrics)
	if err := sender.ProcessTask(e.ctx, asynq.NewTask(pending[0].Type, pending[0].Payload)); err != nil {
		t.Fatalf("send: %v", err)
	}
	if n := len(e.sink.Messages()); n != 1 {
		t.Fatalf("sink holds %d messages, want 1", n)
	}
	sent := e.scrape()
	for s, want := range map[string]float64{
		`partnerlink_invitations_total{status="sent"}`:                     1,
		`partnerlink_sends_total{outcome="sent"}`:                          1,
		`partnerlink_sends_total{outcome="permanent"}`:                     0,
		`partnerlink_send_duration_seconds_count{outcome="sent"}`:          1,
		`partnerlink_invitations_total{status="created"}`:                  1,
		`partnerlink_http_requests_total{code="200",route="GET /metrics"}`: 2, // the scrapes before this one
	} {
		if got := sent[s]; got != want {
			t.Errorf("after send: %s = %v, want %v", s, got, want)
		}
	}
	if sum := sent[`partnerlink_send_duration_seconds_sum{outcome="sent"}`]; sum <= 0 {
		t.Errorf("send latency sum = %v, want > 0", sum)
	}
}

// TestRouteLabelsBounded: a hundred different invitation tokens, and paths no
// route matches, make one route label each, never one per path.
func TestRouteLabelsBounded(t *testing.T) {
	e := newObsEnv(t, false)
	for i := range 100 {
		e.do("GET", "/invite/not-a-token-"+strconv.Itoa(i), nil, "")
		e.do("GET", "/no/such/page/"+strconv.Itoa(i), nil, "")
	}
	routes := map[string]float64{}
	series := 0
	for s, v := range e.scrape() {
		if !strings.HasPrefix(s, "partnerlink_http_requests_total{") {
			continue
		}
		series++
		route := s[strings.Index(s, `route="`)+len(`route="`):]
		routes[route[:strings.IndexByte(route, '"')]] += v
	}
	want := map[string]float64{"GET /invite/{token}": 100, metrics.RouteUnmatched: 100}
	for r, n := range want {
		if routes[r] != n {
			t.Errorf("route %q counted %v requests, want %v", r, routes[r], n)
		}
	}
	if len(routes) != len(want) {
		t.Errorf("route labels = %v, want only %v", routes, want)
	}
	if series > 4 {
		t.Errorf("%d request series after 200 different paths, want at most 4 (2 routes × their codes)", series)
	}
}
