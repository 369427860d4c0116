package metrics

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueInspector reads the task queues; *asynq.Inspector is one.
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// queueCollector reads the depth of each queue from Redis at scrape time: one
// cheap call per queue, nothing kept in between.
type queueCollector struct {
	insp   QueueInspector
	queues []string
	tasks  *prometheus.Desc
	up     *prometheus.Desc
}

// WatchQueues exports the tasks of each of queues by state (pending, active,
// scheduled, retry, archived), read through insp at every scrape, and whether
// reading them worked.
func (m *Metrics) WatchQueues(insp QueueInspector, queues ...string) error {
	if insp == nil || len(queues) == 0 {
		return errors.New("metrics: WatchQueues needs an inspector and a queue")
	}
	c := &queueCollector{insp: insp, queues: queues,
		tasks: prometheus.NewDesc(namespace+"_queue_tasks",
			"Tasks in a queue by state (pending, active, scheduled, retry, archived), read from Redis at scrape time.",
			[]string{"queue", "state"}, nil),
		up: prometheus.NewDesc(namespace+"_queue_up",
			"1 when the queue's depth could be read from Redis at this scrape, else 0.",
			[]string{"queue"}, nil),
	}
	if err := m.reg.Register(c); err != nil {
		return fmt.Errorf("metrics: register queues: %w", err)
	}
	return nil
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.up
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	// asynq knows a queue once a task was put in it; GetQueueInfo fails for
	// one it does not know, with an error that is not asynq.ErrQueueNotFound.
	known, listErr := c.insp.Queues()
	for _, q := range c.queues {
		info, err := &asynq.QueueInfo{}, listErr // nothing queued yet
		if err == nil && slices.Contains(known, q) {
			info, err = c.insp.GetQueueInfo(q)
		}
		if err != nil {
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, q)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, q)
		for _, s := range []struct {
			state string
			n     int
		}{{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled}, {"retry", info.Retry}, {"archived", info.Archived}} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(s.n), q, s.state)
		}
	}
}
