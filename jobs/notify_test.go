package jobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

const webhookSecret = "whsec_0123456789abcdef"

// receiver is a partner's webhook endpoint: it verifies each request's signature
// the way README.md tells partners to, and answers with the next status in line.
type receiver struct {
	mu       sync.Mutex
	statuses []int // answers in order; 200 once they run out
	got      []WebhookPayload
	bad      []string // why a request failed verification
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := verifySignature(r.Header.Get(SignatureHeader), body, webhookSecret, 5*time.Minute); err != "" {
		rc.bad = append(rc.bad, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		rc.bad = append(rc.bad, "body: "+err.Error())
	}
	rc.got = append(rc.got, p)
	status := http.StatusOK
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	w.WriteHeader(status)
}

// webhookReceiver starts a receiver answering statuses in order (then 200) and
// sets it, at path, as the partner's webhook.
func (e *env) webhookReceiver(t *testing.T, path string, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	e.setWebhook(t, hook.URL+path)
	return rc
}

func mustNotifyTask(t *testing.T, ev Event) *asynq.Task {
	t.Helper()
	task, err := NewNotifyTask(ev)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func (rc *receiver) received() ([]WebhookPayload, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got), slices.Clone(rc.bad)
}

// verifySignature is the receiver's side: parse t and v1, check the age, compare
// the HMAC of "t.body" in constant time. It returns what is wrong, or "".
func verifySignature(header string, body []byte, secret string, tolerance time.Duration) string {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return "malformed signature header " + header
	}
	if d := time.Since(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return "signature too old"
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "signature mismatch"
	}
	return ""
}

func (e *env) setWebhook(tb testing.TB, url string) {
	tb.Helper()
	secret := webhookSecret
	if _, err := e.store.UpdatePartnerProfile(context.Background(), e.partner.ID,
		partnerships.ProfileUpdate{WebhookURL: &url, WebhookSecret: &secret}); err != nil {
		tb.Fatal(err)
	}
}

func (e *env) notifier() *Notifier {
	return NewNotifier(e.store, e.tpl, e.mail, testDomain, e.log)
}

// TestNotifyThroughWorker enqueues an accepted invitation's event with
// Enqueuer.Notify; the real worker emails the partner's contact (auto-generated)
// and POSTs the signed events (accepted, then agreement signed) to its webhook.
func TestNotifyThroughWorker(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := e.webhookReceiver(t, "/partnerlink")
	inv := e.invite(t, partnerships.DelegatedAdmin, "de")
	ev := Event{Kind: EventInvitationAccepted, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
		InvitationID: inv.ID, Actor: adminEmail, At: time.Now().UTC().Truncate(time.Millisecond)}

	srv := NewServer(e.conn, ServerConfig{Concurrency: 2, ShutdownTimeout: 2 * time.Second}, e.log)
	if err := srv.Start(NewMux(e.sender, Route{Type: TypeNotify, Handler: e.notifier()})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	enq := NewEnqueuer(e.client(t))
	if err := enq.Notify(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if err := enq.Notify(context.Background(), ev); !errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("the same event again: err = %v, want ErrAlreadyQueued", err)
	}
	msgs := e.messages(t, 1)
	m := msgs[0]
	if !slices.Equal(m.To, []string{e.partner.ContactEmail}) || !strings.Contains(m.Subject, "Fabrikam, Inc. accepted your invitation") {
		t.Errorf("message to %v, subject %q", m.To, m.Subject)
	}
	if got := m.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if !strings.Contains(m.Text, inv.ID) {
		t.Errorf("text lacks the invitation id:\n%s", m.Text)
	}
	// Two POSTs: the acceptance, and the agreement it signed.
	eventually(t, "webhook delivery", func() bool { got, _ := rc.received(); return len(got) == 2 })
	got, bad := rc.received()
	if got[1].Kind != EventAgreementSigned || got[1].InvitationID != inv.ID {
		t.Errorf("second webhook payload %+v, want agreement.signed for %s", got[1], inv.ID)
	}
	if len(bad) > 0 {
		t.Fatalf("webhook verification failed: %v", bad)
	}
	want := WebhookPayload{ID: got[0].ID, Kind: ev.Kind, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
		InvitationID: inv.ID, At: ev.At}
	if !got[0].At.Equal(ev.At) || got[0].ID == "" {
		t.Errorf("webhook payload %+v, want %+v", got[0], want)
	}
	got[0].At = ev.At
	if got[0] != want {
		t.Errorf("webhook payload %+v, want %+v", got[0], want)
	}
}

// TestNotifyRetriesWebhookOnce runs the handler as asynq would on retries: the
// webhook answers 500, then 200. The task fails, then succeeds; the email goes
// out once, the webhook sees both attempts with the same event id.
func TestNotifyRetriesWebhookOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := e.webhookReceiver(t, "", http.StatusInternalServerError)
	ev := Event{Kind: EventInvitationDeclined, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
		InvitationID: e.invite(t, partnerships.Reseller, "en").ID, At: time.Now().UTC().Truncate(time.Millisecond)}
	task, n, ctx := mustNotifyTask(t, ev), e.notifier(), context.Background()
	if err := n.ProcessTask(ctx, task); err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("first attempt with the webhook answering 500: err = %v, want a retryable error", err)
	}
	if err := n.ProcessTask(ctx, task); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if err := n.ProcessTask(ctx, task); err != nil {
		t.Fatalf("third attempt (a redelivered task): %v", err)
	}
	got, bad := rc.received()
	if len(bad) > 0 || len(got) != 2 || got[0].ID != got[1].ID {
		t.Errorf("webhook got %+v (bad %v), want the same event twice", got, bad)
	}
	e.messages(t, 1)
	if n := len(e.sink.Messages()); n != 1 {
		t.Errorf("sink holds %d messages, want the notification once", n)
	}
}

// TestNotifyAcceptedAlsoSignsAgreement: an acceptance is one task and one email,
// and the webhook gets invitation.accepted and agreement.signed, each with its own
// stable id. When the second POST fails, the retry sends only that one.
func TestNotifyAcceptedAlsoSignsAgreement(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := e.webhookReceiver(t, "", http.StatusOK, http.StatusInternalServerError)
	ev := Event{Kind: EventInvitationAccepted, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
		InvitationID: e.invite(t, partnerships.DelegatedAdmin, "en").ID, AcceptanceID: "ac_test",
		At: time.Now().UTC().Truncate(time.Millisecond)}
	task, n, ctx := mustNotifyTask(t, ev), e.notifier(), context.Background()
	if err := n.ProcessTask(ctx, task); err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("first attempt with agreement.signed answered 500: err = %v, want a retryable error", err)
	}
	if err := n.ProcessTask(ctx, task); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	got, bad := rc.received()
	var kinds []string
	for _, p := range got {
		kinds = append(kinds, p.Kind)
	}
	want := []string{EventInvitationAccepted, EventAgreementSigned, EventAgreementSigned}
	if len(bad) > 0 || !slices.Equal(kinds, want) {
		t.Fatalf("webhook got %v (bad %v), want %v", kinds, bad, want)
	}
	if got[0].ID == got[1].ID || got[1].ID != got[2].ID || got[1].InvitationID != ev.InvitationID {
		t.Errorf("webhook ids %s, %s, %s: want the accepted one apart and the signed one the same on retry", got[0].ID, got[1].ID, got[2].ID)
	}
	msgs := e.messages(t, 1)
	if n := len(e.sink.Messages()); n != 1 || !strings.Contains(msgs[0].Subject, "accepted your invitation") {
		t.Errorf("sink holds %d messages (first %q), want the accepted notice once", n, msgs[0].Subject)
	}
}

// TestNotifyAudience checks who each kind of event tells.
func TestNotifyAudience(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	billing := "bill@fabrikam.example"
	if err := e.store.AddCustomerUser(context.Background(), partnerships.CustomerUser{
		CustomerID: e.customer.ID, Email: billing, Name: "Bill", Role: partnerships.BillingAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddCustomerUser(context.Background(), partnerships.CustomerUser{
		CustomerID: e.customer.ID, Email: "user@fabrikam.example", Role: partnerships.User}); err != nil {
		t.Fatal(err)
	}
	n := e.notifier()
	at := time.Now().UTC().Truncate(time.Millisecond)
	tests := []struct {
		kind, detail string
		to           []string
		subject      string
	}{
		{EventRolesRemoved, "global_admin,helpdesk_admin", []string{e.partner.ContactEmail}, "removed your admin roles"},
		{EventRelationshipEnded, "", []string{adminEmail, billing}, "Contoso Ltd ended its partner relationship"},
		{EventRelationshipEnding, "7d", []string{e.partner.ContactEmail, adminEmail, billing}, "ends in 7 days"},
		{EventRelationshipExpired, "", []string{e.partner.ContactEmail, adminEmail, billing}, "has ended"},
	}
	for i, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			before := len(e.sink.Messages())
			task, err := NewNotifyTask(Event{Kind: tt.kind, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
				Detail: tt.detail, At: at.Add(time.Duration(i) * time.Second)})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.ProcessTask(context.Background(), task); err != nil {
				t.Fatal(err)
			}
			msgs := e.sink.Messages()[before:]
			var to []string
			for _, m := range msgs {
				to = append(to, m.To...)
				if !strings.Contains(m.Subject, tt.subject) {
					t.Errorf("subject %q lacks %q", m.Subject, tt.subject)
				}
			}
			slices.Sort(to)
			want := slices.Sorted(slices.Values(tt.to))
			if !slices.Equal(to, want) {
				t.Errorf("told %v, want %v", to, want)
			}
		})
	}
}

func TestNotifyRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.notifier()
	at := time.Now().UTC()
	for name, ev := range map[string]Event{
		"unknown partner":  {Kind: EventInvitationAccepted, PartnerID: "pa_aaaaaaaaaaaaaaaa", CustomerID: e.customer.ID, At: at},
		"unknown customer": {Kind: EventRelationshipEnded, PartnerID: e.partner.ID, CustomerID: "cu_aaaaaaaaaaaaaaaa", At: at},
		"unknown kind":     {Kind: "invitation.exploded", PartnerID: e.partner.ID, CustomerID: e.customer.ID, At: at},
	} {
		t.Run(name, func(t *testing.T) {
			task, err := NewNotifyTask(ev)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.ProcessTask(context.Background(), task); !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("err = %v, want SkipRetry", err)
			}
		})
	}
	if len(e.sink.Messages()) != 0 {
		t.Errorf("a refused event sent mail")
	}
}

// TestEventKindsRender: every event kind renders for each side it tells.
func TestEventKindsRender(t *testing.T) {
	tpl, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(EventKinds(), templates.NotificationEvents()) {
		t.Fatalf("jobs kinds %v, templates kinds %v", EventKinds(), templates.NotificationEvents())
	}
	for _, k := range EventKinds() {
		if !TellsPartner(k) && !TellsCustomer(k) {
			t.Errorf("%s tells nobody", k)
		}
		d := templates.NotificationData{Event: k, Audience: "partner", PartnerName: "P", CustomerName: "C", At: time.Now(), Detail: "30d"}
		if _, err := tpl.Notification("de", d); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// TestNotifyWorkerRetriesWebhook: through the real worker, the webhook answers 500
// and the task goes to retry (the email already sent); run again (asynq's retry,
// brought forward with Inspector.RunTask) it reaches the webhook, and the partner
// got the email once.
func TestNotifyWorkerRetriesWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := e.webhookReceiver(t, "", http.StatusInternalServerError)
	ev := Event{Kind: EventAgreementSigned, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
		At: time.Now().UTC().Truncate(time.Millisecond)}
	srv := NewServer(e.conn, ServerConfig{Concurrency: 2, ShutdownTimeout: 2 * time.Second}, e.log)
	if err := srv.Start(NewMux(e.sender, Route{Type: TypeNotify, Handler: e.notifier()})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	if err := NewEnqueuer(e.client(t)).Notify(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	insp := e.inspector(t)
	state := func(want asynq.TaskState) func() bool {
		return func() bool {
			info, err := insp.GetTaskInfo(QueueMail, notifyTaskID(ev))
			return err == nil && info.State == want
		}
	}
	eventually(t, "notify task in retry", state(asynq.TaskStateRetry))
	e.messages(t, 1)
	if err := insp.RunTask(QueueMail, notifyTaskID(ev)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "notify task completed", state(asynq.TaskStateCompleted))
	got, bad := rc.received()
	if len(bad) > 0 || len(got) != 2 || got[0].ID != got[1].ID || got[1].Kind != EventAgreementSigned {
		t.Errorf("webhook got %+v (bad %v), want the event twice", got, bad)
	}
	if n := len(e.sink.Messages()); n != 1 {
		t.Errorf("the partner got %d emails, want 1", n)
	}
}

// TestNotifyEndingNamesTheEndDate: the notice that a time-bound relationship ends
// soon names the day it ends, read from the relationship; one that is gone (ended
// early) is still told, without a date.
func TestNotifyEndingNamesTheEndDate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: e.partner.ID, Email: adminEmail,
		Type: partnerships.Advisor, Locale: "en", TTL: 14 * 24 * time.Hour, Duration: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if inv, err = e.store.MarkSent(ctx, inv.ID, "<invitation."+inv.ID+"@partnerlink.test>"); err != nil {
		t.Fatal(err)
	}
	_, rel, err := e.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail,
		Agreement: partnerships.AgreementRef{Version: "1", Locale: "en", SHA256: strings.Repeat("a", 64)}, IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.EndsAt.IsZero() {
		t.Fatal("the accepted time-bound relationship has no end")
	}
	n := e.notifier()
	at := time.Now().UTC().Truncate(time.Millisecond)
	tests := []struct {
		name, customerID, want, wantNot string
	}{
		{"relationship there", e.customer.ID, rel.EndsAt.UTC().Format("Monday, 2 January 2006, 15:04 UTC"), ""},
		{"relationship gone", "", "ends in 7 days.", ", on "},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Event{Kind: EventRelationshipEnding, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
				Detail: "7d", At: at.Add(time.Duration(i) * time.Second)}
			if tt.customerID == "" { // another customer of the partner, with no relationship
				other, err := e.store.CreateCustomer(ctx, "Northwind", "northwind.example",
					partnerships.CustomerUser{Email: "admin@northwind.example", Name: "Nora", Role: partnerships.GlobalAdmin})
				if err != nil {
					t.Fatal(err)
				}
				ev.CustomerID = other.ID
			}
			task, err := NewNotifyTask(ev)
			if err != nil {
				t.Fatal(err)
			}
			before := len(e.sink.Messages())
			if err := n.ProcessTask(ctx, task); err != nil {
				t.Fatal(err)
			}
			msgs := e.sink.Messages()[before:]
			if len(msgs) != 2 {
				t.Fatalf("%d messages, want the partner's and the admin's", len(msgs))
			}
			for _, m := range msgs {
				if !strings.Contains(m.Text, tt.want) || (tt.wantNot != "" && strings.Contains(m.Text, tt.wantNot)) {
					t.Errorf("to %v: text lacks %q (or has %q):\n%s", m.To, tt.want, tt.wantNot, m.Text)
				}
			}
		})
	}
}
