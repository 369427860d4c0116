package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendSkipsSuppressed: an invitation queued before its address was
// suppressed (a complaint came in meanwhile) is not sent; it fails, saying why.
func TestSendSkipsSuppressed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inv := e.invite(t, partnerships.Reseller, "en")
	if _, err := e.store.SuppressComplaint(context.Background(), adminEmail, "abuse"); err != nil {
		t.Fatal(err)
	}
	err := e.sender.ProcessTask(context.Background(), task(t, inv.ID))
	if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, partnerships.ErrSuppressed) {
		t.Fatalf("ProcessTask = %v, want ErrSuppressed wrapping asynq.SkipRetry", err)
	}
	got := e.invitation(t, inv.ID)
	if got.Status != partnerships.StatusFailed || !strings.Contains(got.FailureReason, "suppressed") {
		t.Errorf("invitation = {Status:%s FailureReason:%q}, want failed: suppressed", got.Status, got.FailureReason)
	}
	e.noMessages(t)
}
