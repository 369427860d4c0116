package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendGivesUpWhenPartnerGone: an invitation that can never be rendered (its
// partner record is gone) is marked failed at once, not retried for a day.
func TestSendGivesUpWhenPartnerGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	inv := e.invite(t, partnerships.Advisor, "en")
	// The store's own layout (partnerships/keys.go): remove the partner behind its back.
	if n, err := e.rdb.Del(ctx, "pl:{partners}:partner:"+e.partner.ID).Result(); err != nil || n != 1 {
		t.Fatalf("delete partner: %d, %v", n, err)
	}
	err := e.sender.ProcessTask(ctx, task(t, inv.ID))
	if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, partnerships.ErrNotFound) {
		t.Fatalf("ProcessTask = %v, want SkipRetry wrapping ErrNotFound", err)
	}
	got := e.invitation(t, inv.ID)
	if got.Status != partnerships.StatusFailed || !strings.Contains(got.FailureReason, "partner") {
		t.Errorf("invitation = %s %q, want failed naming the partner", got.Status, got.FailureReason)
	}
	e.noMessages(t)
}
