package jobs

import (
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/pace"
)

// retryDelay is RetryDelay, except that a send the pace deferred comes back
// when its turn is due.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if d, ok := pace.DeferredWait(err); ok {
		return d
	}
	return RetryDelay(n, err, t)
}

// isFailure: a send the pace deferred is not a failed attempt, so it neither
// uses up the task's retries nor counts in asynq's failure statistics.
func isFailure(err error) bool {
	_, deferred := pace.DeferredWait(err)
	return !deferred
}
