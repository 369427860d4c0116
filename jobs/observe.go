package jobs

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/pace"
)

// taskLog is log with the task's type and id, which asynq's own logs and
// `partnerlink queues` name too.
func taskLog(ctx context.Context, log *slog.Logger, t *asynq.Task) *slog.Logger {
	log = log.With("task", t.Type())
	if id, ok := asynq.GetTaskID(ctx); ok {
		log = log.With("task_id", id)
	}
	return log
}

// SetMetrics makes the sender count its sends, their latency and the
// invitations it marks sent or failed in m (nil: none).
func (s *Sender) SetMetrics(m *metrics.Metrics) { s.metrics = m }

// SetMetrics makes the expirer count the invitations it expires in m.
func (x *Expirer) SetMetrics(m *metrics.Metrics) { x.metrics = m }

// sendOutcome is the metrics outcome of a failed send: deferred by the pace,
// temporary (retried) or permanent (given up).
func sendOutcome(err error, retry bool) string {
	switch _, deferred := pace.DeferredWait(err); {
	case deferred && retry:
		return metrics.OutcomeDeferred
	case retry:
		return metrics.OutcomeTemporary
	default:
		return metrics.OutcomePermanent
	}
}
