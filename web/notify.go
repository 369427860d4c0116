package web

import (
	"errors"
	"net/http"

	"github.com/partnerlink/partnerlink/jobs"
)

// notify queues telling the partner or the customer about ev, after the store
// change it reports succeeded. The change stands whatever happens here: a failure
// to queue is logged, and the same event queued twice is told once.
func (s *Server) notify(r *http.Request, ev jobs.Event) {
	err := s.Enqueuer.Notify(r.Context(), ev)
	if err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
		s.Logger.Error("notification not queued", "event", ev.Kind, "partner_id", ev.PartnerID,
			"customer_id", ev.CustomerID, "invitation_id", ev.InvitationID, "err", err)
	}
}
