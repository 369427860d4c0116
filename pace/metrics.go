package pace

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hibiken/asynq"
)

// rateWindow is the span Metrics.Rate is measured over.
const rateWindow = 10 * time.Second

// Metrics is what this process's Pacer has done. Rate is this process's: with
// several workers, add theirs up.
type Metrics struct {
	Sent     int64   // messages sent since start
	Deferred int64   // messages handed back to the queue to wait for their turn
	Waiting  int64   // messages waiting for their turn inside their task now
	Rate     float64 // messages a second over the last 10 seconds
}

func (p *Pacer) count(now time.Time) {
	p.sent.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recent = append(p.trim(now), now)
}

// trim drops send times older than rateWindow; callers hold p.mu.
func (p *Pacer) trim(now time.Time) []time.Time {
	i := 0
	for i < len(p.recent) && now.Sub(p.recent[i]) > rateWindow {
		i++
	}
	return append(p.recent[:0], p.recent[i:]...)
}

// Metrics returns the counts so far and the current rate.
func (p *Pacer) Metrics() Metrics {
	now := time.Now()
	p.mu.Lock()
	p.recent = p.trim(now)
	n := len(p.recent)
	p.mu.Unlock()
	return Metrics{Sent: p.sent.Load(), Deferred: p.deferred.Load(), Waiting: p.waiting.Load(), Rate: float64(n) / rateWindow.Seconds()}
}

// Backlog is the number of tasks of queue waiting to run: pending, scheduled
// and retrying (which includes the ones deferred by the pace). It is shared by
// all workers.
func Backlog(insp *asynq.Inspector, queue string) (int, error) {
	// A queue asynq does not know yet (nothing was ever queued) has no backlog;
	// GetQueueInfo fails for it with an error that is not ErrQueueNotFound.
	known, err := insp.Queues()
	if err != nil {
		return 0, err
	}
	if !slices.Contains(known, queue) {
		return 0, nil
	}
	info, err := insp.GetQueueInfo(queue)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return info.Pending + info.Scheduled + info.Retry, nil
}

// Report logs a "send pace" line every interval until ctx ends: the rate and
// counts of Metrics and the queue's backlog (when backlog is not nil).
func (p *Pacer) Report(ctx context.Context, interval time.Duration, backlog func() (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m := p.Metrics()
		attrs := []any{"rate_per_second", m.Rate, "sent", m.Sent, "deferred", m.Deferred, "waiting", m.Waiting,
			"limit_per_second", p.cfg.PerSecond, "limit_per_minute", p.cfg.PerMinute, "limit_per_domain_minute", p.cfg.PerDomainMinute}
		if backlog != nil {
			n, err := backlog()
			if err != nil {
				attrs = append(attrs, "backlog_err", err)
			} else {
				attrs = append(attrs, "backlog", n)
			}
		}
		p.log.Info("send pace", attrs...)
	}
}
