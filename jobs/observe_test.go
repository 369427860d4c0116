package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/pace"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendMetrics runs the send handler against the real SMTP sink (and the
// real send pace) and checks what each outcome counts: the send by outcome with
// its latency, and the invitation's transition.
func TestSendMetrics(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		reply  func(string) *smtp.SMTPError // the sink's answer to RCPT TO; nil: accepted
		paced  bool                         // through a pace of one message a minute, after one message sent
		before func(inv partnerships.Invitation)
		want   map[string]float64 // samples name{label} → value; others of the family 0
	}{
		{name: "sent", want: map[string]float64{
			`sends_total{outcome="sent"}`: 1, `send_duration_seconds_count{outcome="sent"}`: 1, `invitations_total{status="sent"}`: 1}},
		{name: "permanent", reply: smtpReply(550, [3]int{5, 1, 1}, "no such user"), want: map[string]float64{
			`sends_total{outcome="permanent"}`: 1, `send_duration_seconds_count{outcome="permanent"}`: 1, `invitations_total{status="failed"}`: 1}},
		{name: "temporary", reply: smtpReply(451, [3]int{4, 3, 0}, "try later"), want: map[string]float64{
			`sends_total{outcome="temporary"}`: 1, `send_duration_seconds_count{outcome="temporary"}`: 1}},
		{name: "skipped: no longer pending", before: func(inv partnerships.Invitation) {
			if _, err := e.store.MarkSent(ctx, inv.ID, "<x@partnerlink.test>"); err != nil {
				t.Fatal(err)
			}
		}, want: map[string]float64{`sends_total{outcome="skipped"}`: 1}},
		{name: "deferred by the pace", paced: true, want: map[string]float64{
			`sends_total{outcome="deferred"}`: 1, `send_duration_seconds_count{outcome="deferred"}`: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg)
			if err != nil {
				t.Fatal(err)
			}
			var mail Mailer = e.mail
			if tt.paced {
				p, err := pace.New(e.rdb, e.mail, pace.Config{PerMinute: 1, MaxWait: time.Millisecond}, e.log)
				if err != nil {
					t.Fatal(err)
				}
				warm := e.invite(t, partnerships.Reseller, "en")
				if err := e.newSender(p).ProcessTask(ctx, sendTask(t, warm.ID)); err != nil {
					t.Fatalf("first paced send: %v", err)
				}
				mail = p
			}
			e.sink.FailWith(tt.reply)
			defer e.sink.FailWith(nil)
			inv := e.invite(t, partnerships.Reseller, "en")
			if tt.before != nil {
				tt.before(inv)
			}
			s := e.newSender(mail)
			s.SetMetrics(m)
			_ = s.ProcessTask(ctx, sendTask(t, inv.ID))
			got := gathered(t, reg)
			for _, name := range []string{"sends_total", "invitations_total", "send_duration_seconds_count"} {
				for k, v := range got {
					if strings.HasPrefix(k, name+"{") {
						if v != tt.want[k] {
							t.Errorf("%s = %v, want %v", k, v, tt.want[k])
						}
					}
				}
			}
			for k, v := range tt.want {
				if _, ok := got[k]; !ok {
					t.Errorf("%s missing, want %v", k, v)
				}
			}
		})
	}
}

func sendTask(t *testing.T, id string) *asynq.Task {
	t.Helper()
	task, err := NewSendInvitationTask(id)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// gathered returns partnerlink's counters and histogram counts in reg as
// `name{label="value"}` (without the partnerlink_ prefix) → value.
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		name := f.GetName()[len("partnerlink_"):]
		for _, mt := range f.GetMetric() {
			label := ""
			for _, l := range mt.GetLabel() {
				label = `{` + l.GetName() + `="` + l.GetValue() + `"}`
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name+label] = mt.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+label] = float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}
