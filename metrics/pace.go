package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/partnerlink/partnerlink/pace"
)

// PaceSource is what the send pace reports; *pace.Pacer is one.
type PaceSource interface {
	Metrics() pace.Metrics
}

// paceCollector reads the send pace's counts and the backlog at scrape time.
type paceCollector struct {
	src     PaceSource
	backlog func() (int, error)

	rate, sent, deferred, waiting, queued, backlogUp *prometheus.Desc
}

// WatchPace exports the send pace of this process (rate, sent, deferred,
// waiting) and, when backlog is not nil (e.g. pace.Backlog of the mail queue),
// the backlog all workers share.
func (m *Metrics) WatchPace(src PaceSource, backlog func() (int, error)) error {
	if src == nil {
		return errors.New("metrics: WatchPace needs a pace source")
	}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_send_pace_"+name, help, nil, nil)
	}
	c := &paceCollector{src: src, backlog: backlog,
		rate:      d("rate", "Messages a second this worker sent over the last 10 seconds."),
		sent:      d("sent_total", "Messages this worker sent through the send pace."),
		deferred:  d("deferred_total", "Messages this worker handed back to the queue to wait for their turn."),
		waiting:   d("waiting", "Messages waiting for their turn inside their task now."),
		queued:    d("backlog", "Tasks of the mail queue waiting to run (pending, scheduled, retry), shared by all workers."),
		backlogUp: d("backlog_up", "1 when the backlog could be read at this scrape, else 0."),
	}
	if err := m.reg.Register(c); err != nil {
		return fmt.Errorf("metrics: register pace: %w", err)
	}
	return nil
}

func (c *paceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rate, c.sent, c.deferred, c.waiting, c.queued, c.backlogUp} {
		ch <- d
	}
}

func (c *paceCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.src.Metrics()
	ch <- prometheus.MustNewConstMetric(c.rate, prometheus.GaugeValue, p.Rate)
	ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(p.Sent))
	ch <- prometheus.MustNewConstMetric(c.deferred, prometheus.CounterValue, float64(p.Deferred))
	ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(p.Waiting))
	if c.backlog == nil {
		return
	}
	n, err := c.backlog()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.backlogUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.backlogUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(n))
}
