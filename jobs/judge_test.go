package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/partnerlink/partnerlink/mailer"
)

// TestJudgeFailure covers the decision a failed send leads to: retry a temporary
// failure until the last attempt, then give up; never retry a permanent one.
func TestJudgeFailure(t *testing.T) {
	temporary := &mailer.SendError{Code: 451, Enhanced: "4.3.0", Reply: "4.3.0 try later", Temporary: true, Err: errors.New("451 4.3.0 try later")}
	permanent := &mailer.SendError{Code: 550, Enhanced: "5.1.1", Reply: "5.1.1 no such user", Err: errors.New("550 5.1.1 no such user")}
	timeout := &mailer.SendError{Temporary: true, Err: context.DeadlineExceeded}
	invalid := fmt.Errorf("build: %w", mailer.ErrInvalidMessage) // permanent, not a *SendError
	unknown := errors.New("some mailer failed")                  // neither: not retried

	tests := []struct {
		name       string
		err        error
		retried    int
		maxRetry   int
		inTask     bool
		wantRetry  bool
		wantReason string
	}{
		{"temporary, first attempt", temporary, 0, SendMaxRetry, true, true, ""},
		{"temporary, before the last", temporary, SendMaxRetry - 1, SendMaxRetry, true, true, ""},
		{"temporary, last attempt", temporary, SendMaxRetry, SendMaxRetry, true, false, "gave up after 21 attempts: " + temporary.Error()},
		{"temporary, past the last", temporary, SendMaxRetry + 3, SendMaxRetry, true, false, "gave up after 24 attempts: " + temporary.Error()},
		{"temporary, no retries allowed", temporary, 0, 0, true, false, "gave up after 1 attempts: " + temporary.Error()},
		{"timeout, last attempt", timeout, 2, 2, true, false, "gave up after 3 attempts: " + timeout.Error()},
		{"temporary, outside a task", temporary, 0, 0, false, true, ""},
		{"permanent, first attempt", permanent, 0, SendMaxRetry, true, false, permanent.Error()},
		{"permanent, last attempt", permanent, SendMaxRetry, SendMaxRetry, true, false, permanent.Error()},
		{"permanent, outside a task", permanent, 0, 0, false, false, permanent.Error()},
		{"invalid message", invalid, 0, SendMaxRetry, true, false, invalid.Error()},
		{"unclassified error", unknown, 0, SendMaxRetry, true, false, unknown.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, retry := judgeFailure(tt.err, tt.retried, tt.maxRetry, tt.inTask)
			if retry != tt.wantRetry || reason != tt.wantReason {
				t.Errorf("judgeFailure(%v, %d, %d, %t) = %q, %t; want %q, %t",
					tt.err, tt.retried, tt.maxRetry, tt.inTask, reason, retry, tt.wantReason, tt.wantRetry)
			}
		})
	}
}
