package mailroom

import (
	"bytes"
	"context"
	"net/mail"
	"time"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// SetMetrics makes the router count the invitations it creates and marks
// bounced, and the inbox lag of every mail it handles, in m (nil: none).
func (r *Router) SetMetrics(m *metrics.Metrics) { r.metrics = m }

// observeLag records how long after its Date header m was handled. A mail
// without a readable Date is not counted.
func (r *Router) observeLag(m *inbox.Message, d inbox.Decision) {
	if r.metrics == nil {
		return
	}
	if at, ok := written(m.Raw); ok {
		r.metrics.InboxLag(lagFolder(d.Folder), time.Since(at))
	}
}

// written is the time in raw's Date header.
func written(raw []byte) (time.Time, bool) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return time.Time{}, false
	}
	at, err := msg.Header.Date()
	return at, err == nil
}

// lagFolder is the folder label: processed or rejected.
func lagFolder(folder string) string {
	if folder == inbox.Rejected {
		return "rejected"
	}
	return "processed"
}

// openBefore reports whether invitation id is open (pending or sent) before a
// bounce marks it, so that a second report of the same bounce, which
// MarkBounced takes as success, is not counted twice. It reads Redis only when
// metrics are on.
func (r *Router) openBefore(ctx context.Context, id string) bool {
	if r.metrics == nil {
		return false
	}
	inv, err := r.store.Invitation(ctx, id)
	return err == nil && (inv.Status == partnerships.StatusPending || inv.Status == partnerships.StatusSent)
}
