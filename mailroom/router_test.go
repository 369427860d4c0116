package mailroom

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

const sampleID = "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb"

type env struct {
	t        *testing.T
	router   *Router
	store    *partnerships.Store
	insp     *asynq.Inspector
	partner  partnerships.Partner
	customer partnerships.Customer
}

func newEnv(t *testing.T) *env {
	srv := testredis.Start(t)
	rdb := srv.Client()
	store := partnerships.NewStore(rdb)
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: srv.Addr})
	t.Cleanup(func() { client.Close() })
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: srv.Addr})
	t.Cleanup(func() { insp.Close() })
	e := &env{t: t, store: store, insp: insp}
	e.router = New(Config{Address: "requests@partnerlink.example", TrustedAuthServ: []string{"mx.partnerlink.example"}, InviteTTL: time.Hour},
		store, jobs.NewEnqueuer(client), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	var err error
	if e.partner, _, err = store.CreatePartner(ctx, "Contoso", "partners@contoso.example"); err != nil {
		t.Fatal(err)
	}
	if e.customer, err = store.CreateCustomer(ctx, "Fabrikam", "fabrikam.example",
		partnerships.CustomerUser{Email: "admin@fabrikam.example", Role: partnerships.GlobalAdmin}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) handle(key string, raw []byte) inbox.Decision {
	e.t.Helper()
	d, err := e.router.Handle(context.Background(), key, &inbox.Message{Raw: raw})
	if err != nil {
		e.t.Fatalf("Handle: %v", err)
	}
	return d
}

// queued counts pending tasks of type typ.
func (e *env) queued(typ string) int {
	e.t.Helper()
	tasks, err := e.insp.ListPendingTasks(jobs.QueueMail, asynq.PageSize(500))
	if err != nil && !strings.Contains(err.Error(), "not found") {
		e.t.Fatal(err)
	}
	n := 0
	for _, tk := range tasks {
		if tk.Type == typ {
			n++
		}
	}
	return n
}

func read(t *testing.T, path string, oldnew ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(oldnew...).Replace(string(b)))
}

func TestBounces(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	invite := func() partnerships.Invitation {
		inv, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: e.partner.ID,
			Email: "admin@fabrikam.example", Type: partnerships.Reseller, Locale: "en", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	dsn := "../bounces/testdata/postfix-rfc3464-user-unknown.eml"

	// Unknown invitation: rejected, nothing queued.
	if d := e.handle("k1", read(t, dsn)); d.Folder != inbox.Rejected || !strings.Contains(d.Reason, "unknown invitation") {
		t.Errorf("bounce for an unknown invitation: %+v", d)
	}
	// A hard bounce: bounced, one notice queued; the same mail again changes nothing more.
	inv := invite()
	if d := e.handle("k2", read(t, dsn, sampleID, inv.ID)); d.Folder != inbox.Processed {
		t.Fatalf("hard bounce: %+v", d)
	}
	if got, _ := e.store.Invitation(ctx, inv.ID); got.Status != partnerships.StatusBounced {
		t.Errorf("status %s, want bounced", got.Status)
	}
	e.handle("k2", read(t, dsn, sampleID, inv.ID))
	if n := e.queued(jobs.TypeBounceNotice); n != 1 {
		t.Errorf("%d bounce notices queued, want 1", n)
	}
	// A bounce for an accepted invitation changes nothing.
	acc := invite()
	if _, _, err := e.store.Accept(ctx, partnerships.AcceptInput{InvitationID: acc.ID, TokenID: acc.TokenID,
		UserEmail: "admin@fabrikam.example", IP: "127.0.0.1", Agreement: partnerships.AgreementRef{
			Version: "1", Locale: "en", SHA256: strings.Repeat("0", 64)}}); err != nil {
		t.Fatal(err)
	}
	if d := e.handle("k3", read(t, dsn, sampleID, acc.ID)); d.Folder != inbox.Processed || !strings.Contains(d.Reason, "nothing changed") {
		t.Errorf("bounce for an accepted invitation: %+v", d)
	}
	if got, _ := e.store.Invitation(ctx, acc.ID); got.Status != partnerships.StatusAccepted {
		t.Errorf("status %s, want accepted", got.Status)
	}
	// A mail that is neither bounce nor request is rejected.
	if d := e.handle("k4", read(t, "../bounces/testdata/normal-reply.eml")); d.Folder != inbox.Rejected {
		t.Errorf("normal reply: %+v", d)
	}
}

func TestRequestsAreIdempotentPerMail(t *testing.T) {
	e := newEnv(t)
	raw := read(t, "../requests/testdata/several.eml")
	first := e.handle("mail-1", raw)
	if first.Folder != inbox.Processed {
		t.Fatalf("request: %+v", first)
	}
	invs, err := e.store.InvitationsByCustomer(context.Background(), e.customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Handled again with the same key (a crash before the outcome was recorded):
	// no new invitation, no second reply.
	e.handle("mail-1", raw)
	again, _ := e.store.InvitationsByCustomer(context.Background(), e.customer.ID)
	if len(again) != len(invs) {
		t.Errorf("handling the same mail twice: %d invitations, then %d", len(invs), len(again))
	}
	if n := e.queued(jobs.TypeRequestReply); n != 1 {
		t.Errorf("%d replies queued, want 1", n)
	}
	if n := e.queued(jobs.TypeSendInvitation); n != len(invs) {
		t.Errorf("%d sends queued for %d invitations", n, len(invs))
	}
}
