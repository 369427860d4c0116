package mailroom

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestInboxMetrics handles real bounce and reply mails whose Date says they were
// written 90 seconds ago: each handled mail records its lag by folder, a hard
// bounce counts an invitation bounced once (not again for the same mail), and a
// mail without a Date records no lag.
func TestInboxMetrics(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	e.router.SetMetrics(m)
	inv, err := e.store.CreateInvitation(context.Background(), partnerships.NewInvitation{PartnerID: e.partner.ID,
		Email: "admin@fabrikam.example", Type: partnerships.Reseller, Locale: "en", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	written := time.Now().Add(-90 * time.Second).Format(time.RFC1123Z)
	bounce := read(t, "../bounces/testdata/postfix-rfc3464-user-unknown.eml", sampleID, inv.ID,
		"Date: Mon,  2 Mar 2026 10:30:21 +0100 (CET)", "Date: "+written)
	reply := read(t, "../bounces/testdata/normal-reply.eml", "Date: Mon, 2 Mar 2026 10:02:43 +0000", "Date: "+written)
	undated := read(t, "../bounces/testdata/normal-reply.eml", "Date: Mon, 2 Mar 2026 10:02:43 +0000\n", "")

	steps := []struct {
		key, name string
		raw       []byte
		processed uint64 // lag observations so far, by folder
		rejected  uint64
		bounced   float64
	}{
		{"k1", "hard bounce", bounce, 1, 0, 1},
		{"k1", "the same bounce again", bounce, 2, 0, 1},
		{"k2", "a reply, rejected", reply, 2, 1, 1},
		{"k3", "a reply without Date", undated, 2, 1, 1},
	}
	for _, s := range steps {
		e.handle(s.key, s.raw)
		lag, bounced := inboxSamples(t, reg)
		if lag["processed"].GetSampleCount() != s.processed || lag["rejected"].GetSampleCount() != s.rejected {
			t.Errorf("%s: lag observations processed %d rejected %d, want %d and %d", s.name,
				lag["processed"].GetSampleCount(), lag["rejected"].GetSampleCount(), s.processed, s.rejected)
		}
		for folder, h := range lag {
			if n := h.GetSampleCount(); n > 0 {
				if mean := h.GetSampleSum() / float64(n); mean < 89 || mean > 150 {
					t.Errorf("%s: mean %s lag %.1fs, want about 90s", s.name, folder, mean)
				}
			}
		}
		if bounced != s.bounced {
			t.Errorf("%s: invitations bounced %v, want %v", s.name, bounced, s.bounced)
		}
	}
}

// inboxSamples returns the inbox lag histograms by folder and the bounced count.
func inboxSamples(t *testing.T, reg *prometheus.Registry) (map[string]*dto.Histogram, float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	lag := map[string]*dto.Histogram{}
	var bounced float64
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			label := mt.GetLabel()[0].GetValue()
			switch {
			case f.GetName() == "partnerlink_inbox_lag_seconds":
				lag[label] = mt.GetHistogram()
			case f.GetName() == "partnerlink_invitations_total" && strings.EqualFold(label, metrics.StatusBounced):
				bounced = mt.GetCounter().GetValue()
			}
		}
	}
	return lag, bounced
}
