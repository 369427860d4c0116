package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/pace"
)

// TestNilMetricsRecordsNothing: a package wired without metrics calls the hooks
// on a nil *Metrics, which must not panic.
func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Invitation(metrics.StatusCreated)
	m.Send(metrics.OutcomeSent, time.Second)
	m.InboxLag("processed", time.Minute)
	m.HTTPRequest("GET /x", 200, time.Millisecond)
}

// TestNewRegistersOnItsOwnRegistry: two Metrics on two registries are
// independent; a second on the same registry is refused.
func TestNewRegistersOnItsOwnRegistry(t *testing.T) {
	r1, r2 := prometheus.NewRegistry(), prometheus.NewRegistry()
	m1, err := metrics.New(r1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(r2); err != nil {
		t.Fatalf("a second registry: %v", err)
	}
	if _, err := metrics.New(r1); err == nil {
		t.Error("registering twice on one registry succeeded, want an error")
	}
	m1.Invitation(metrics.StatusAccepted)
	want := `
# HELP partnerlink_invitations_total Invitation transitions made by this process, by the status entered (created, sent, accepted, declined, expired, revoked, failed, bounced).
# TYPE partnerlink_invitations_total counter
partnerlink_invitations_total{status="accepted"} 1
partnerlink_invitations_total{status="bounced"} 0
partnerlink_invitations_total{status="created"} 0
partnerlink_invitations_total{status="declined"} 0
partnerlink_invitations_total{status="expired"} 0
partnerlink_invitations_total{status="failed"} 0
partnerlink_invitations_total{status="revoked"} 0
partnerlink_invitations_total{status="sent"} 0
`
	if err := testutil.GatherAndCompare(r1, strings.NewReader(want), "partnerlink_invitations_total"); err != nil {
		t.Error(err)
	}
	if err := testutil.GatherAndCompare(r2, strings.NewReader(strings.Replace(want, `"accepted"} 1`, `"accepted"} 0`, 1)), "partnerlink_invitations_total"); err != nil {
		t.Errorf("the other registry: %v", err)
	}
}

// TestQueueAndPaceCollectors reads the queue depth and the send pace from a real
// redis-server at scrape time: nothing queued yet, then two tasks pending, then
// a message sent through the pace; and up 0 once Redis is gone.
func TestQueueAndPaceCollectors(t *testing.T) {
	rs := testredis.Start(t)
	conn := asynq.RedisClientOpt{Addr: rs.Addr}
	insp := asynq.NewInspector(conn)
	t.Cleanup(func() { insp.Close() })
	client := asynq.NewClient(conn)
	t.Cleanup(func() { client.Close() })
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WatchQueues(insp, "mail"); err != nil {
		t.Fatal(err)
	}
	sink, err := mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	host, port, _ := net.SplitHostPort(sink.Addr())
	portN, _ := strconv.Atoi(port)
	mail, err := mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@partnerlink.test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mail.Close() })
	pacer, err := pace.New(rs.Client(), mail, pace.Config{PerSecond: 100}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WatchPace(pacer, func() (int, error) { return pace.Backlog(insp, "mail") }); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.Handler(reg))
	t.Cleanup(srv.Close)

	steps := []struct {
		name string
		act  func()
		want []string // lines of the exposition
	}{
		{"nothing queued", func() {}, []string{
			`partnerlink_queue_tasks{queue="mail",state="pending"} 0`, `partnerlink_queue_up{queue="mail"} 1`,
			`partnerlink_send_pace_backlog 0`, `partnerlink_send_pace_backlog_up 1`, `partnerlink_send_pace_sent_total 0`}},
		{"two pending, one scheduled", func() {
			for _, o := range [][]asynq.Option{{asynq.Queue("mail")}, {asynq.Queue("mail")}, {asynq.Queue("mail"), asynq.ProcessIn(time.Hour)}} {
				if _, err := client.Enqueue(asynq.NewTask("invitation:send", nil), o...); err != nil {
					t.Fatal(err)
				}
			}
		}, []string{
			`partnerlink_queue_tasks{queue="mail",state="pending"} 2`, `partnerlink_queue_tasks{queue="mail",state="scheduled"} 1`,
			`partnerlink_send_pace_backlog 3`}},
		{"one sent through the pace", func() {
			if err := pacer.Send(context.Background(), mailer.Message{To: "a@example.com", Subject: "hi", Text: "hello",
				MessageID: mailer.MessageID("x", "invitation", "partnerlink.test")}); err != nil {
				t.Fatal(err)
			}
		}, []string{`partnerlink_send_pace_sent_total 1`, `partnerlink_send_pace_rate 0.1`, `partnerlink_send_pace_waiting 0`}},
		{"redis gone", func() { rs.Kill() }, []string{
			`partnerlink_queue_up{queue="mail"} 0`, `partnerlink_send_pace_backlog_up 0`, `partnerlink_send_pace_sent_total 1`}},
	}
	for _, s := range steps {
		s.act()
		body := get(t, srv.URL)
		for _, w := range s.want {
			if !strings.Contains(body, "\n"+w+"\n") {
				t.Errorf("%s: exposition lacks %q:\n%s", s.name, w, grep(body, "partnerlink_"))
			}
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %d: %s", resp.StatusCode, b)
	}
	return "\n" + string(b)
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
