package mailroom

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestRequestForExistingRelationship: a request by email for a type the customer
// already granted the partner creates nothing and tells the partner so in the
// reply, naming the relationship; the mail counts as processed, not as a failure
// to retry.
func TestRequestForExistingRelationship(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inv, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: e.partner.ID, Email: "admin@fabrikam.example",
		Type: partnerships.DelegatedAdmin, Locale: "en", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: "admin@fabrikam.example",
		IP: "203.0.113.1", Agreement: partnerships.AgreementRef{Version: "2026-01", Locale: "en", SHA256: strings.Repeat("a", 64)}}); err != nil {
		t.Fatal(err)
	}
	d := e.handle("mail-related", read(t, "../requests/testdata/single.eml"))
	if d.Folder != inbox.Processed {
		t.Fatalf("decision = %+v, want processed", d)
	}
	tasks, err := e.insp.ListPendingTasks(jobs.QueueMail, asynq.PageSize(100))
	if err != nil {
		t.Fatal(err)
	}
	var reply *jobs.RequestReplyPayload
	for _, tk := range tasks {
		if tk.Type == jobs.TypeRequestReply {
			reply = new(jobs.RequestReplyPayload)
			if err := json.Unmarshal(tk.Payload, reply); err != nil {
				t.Fatal(err)
			}
		}
	}
	if reply == nil {
		t.Fatal("no reply queued")
	}
	if len(reply.Data.Created) != 0 || len(reply.Data.Errors) != 1 ||
		!strings.Contains(reply.Data.Errors[0], "customer "+e.customer.ID+" already has this relationship with you (types delegated_admin") {
		t.Errorf("reply data = %+v", reply.Data)
	}
	if n := e.queued(jobs.TypeSendInvitation); n != 0 {
		t.Errorf("%d sends queued, want none", n)
	}
}
