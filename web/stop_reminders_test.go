package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// TestStopReminders: the GET shows a confirmation and changes nothing; a
// cookie-less POST (as a mail client's one-click unsubscribe sends it) stops
// reminders, audited; the invitation stays valid.
// webEnv is the web server on a real redis-server, its store on a test clock.
type webEnv struct {
	store *partnerships.Store
	ring  *tokens.Ring
	url   string
	now   time.Time
}

func newWebEnv(t *testing.T) *webEnv {
	t.Helper()
	srv := testredis.Start(t)
	rdb := srv.Client()
	e := &webEnv{now: time.Now()}
	e.store = partnerships.NewStore(rdb, partnerships.WithClock(func() time.Time { return e.now }))
	var lb *links.Builder
	var tpl *templates.Set
	e.ring, lb, tpl = testKit(t, "http://partnerlink.test")
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: srv.Addr})
	t.Cleanup(func() { client.Close() })
	app, err := New(Config{InviteTTL: time.Hour}, Deps{Store: e.store, Tokens: e.ring, Agreements: agreements.Sample(), Templates: tpl,
		Links: lb, Enqueuer: jobs.NewEnqueuer(client), Logger: slog.New(slog.DiscardHandler), RDB: rdb})
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(app)
	t.Cleanup(h.Close)
	e.url = h.URL
	return e
}

func TestStopReminders(t *testing.T) {
	ctx := context.Background()
	e := newWebEnv(t)
	store, ring := e.store, e.ring
	p, _, err := store.CreatePartner(ctx, "Contoso Ltd", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCustomer(ctx, "Fabrikam", "", partnerships.CustomerUser{Email: "ada@fabrikam.example", Role: partnerships.GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: p.ID, Email: "ada@fabrikam.example", Type: partnerships.Advisor, Locale: "de", TTL: 14 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if inv, err = store.MarkSent(ctx, inv.ID, "<i@x>"); err != nil {
		t.Fatal(err)
	}
	stop, _, err := ring.Issue(jobs.StopRemindersClaims(inv))
	if err != nil {
		t.Fatal(err)
	}
	invite, _, err := ring.Issue(tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID, Recipient: inv.Email, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		t.Fatal(err)
	}
	other := jobs.StopRemindersClaims(inv)
	other.ID = tokens.NewID()
	superseded, _, err := ring.Issue(other)
	if err != nil {
		t.Fatal(err)
	}
	state := func() (partnerships.Invitation, int) {
		got, err := store.Invitation(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		events, err := store.Audit(ctx, c.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		return got, len(events)
	}
	do := func(method, token, body string) (int, string) {
		req, err := http.NewRequest(method, e.url+"/reminders/stop/"+token, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// Refused links and the GET change nothing.
	beforeInv, beforeEvents := state()
	for _, tc := range []struct {
		name, method, token string
		status              int
		says                string
	}{
		{"confirmation page", http.MethodGet, stop, http.StatusOK, "Erinnerungen abbestellen?"},
		{"an invitation link", http.MethodPost, invite, http.StatusBadRequest, ""},
		{"a tampered token", http.MethodPost, stop[:len(stop)-2] + "xx", http.StatusBadRequest, ""},
		{"another token id", http.MethodPost, superseded, http.StatusGone, ""},
	} {
		status, body := do(tc.method, tc.token, "")
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d, want %d with %q:\n%.400s", tc.name, status, tc.status, tc.says, body)
		}
	}
	if got, n := state(); got.RemindersStopped || n != beforeEvents || !got.CreatedAt.Equal(beforeInv.CreatedAt) {
		t.Fatalf("a GET or a refused POST changed something: stopped %v, %d events (was %d)", got.RemindersStopped, n, beforeEvents)
	}
	if _, body := do(http.MethodGet, stop, ""); !strings.Contains(body, `method="post" action="/reminders/stop/`+stop+`"`) {
		t.Errorf("the confirmation page lacks its form:\n%s", body)
	}

	// The one-click POST: no cookie, no CSRF token.
	status, body := do(http.MethodPost, stop, "List-Unsubscribe=One-Click")
	if status != http.StatusOK || !strings.Contains(body, "Erinnerungen abbestellt") {
		t.Fatalf("POST: %d\n%s", status, body)
	}
	got, n := state()
	if !got.RemindersStopped || got.Status != partnerships.StatusSent || n != beforeEvents+1 {
		t.Errorf("after POST: stopped %v, status %s, %d events (was %d)", got.RemindersStopped, got.Status, n, beforeEvents)
	}
	if _, err := store.RecordReminder(ctx, inv.ID, 1); !errors.Is(err, partnerships.ErrRemindersStopped) {
		t.Errorf("a reminder after stopping: %v, want ErrRemindersStopped", err)
	}
	// Posting again is fine and changes nothing.
	if status, _ := do(http.MethodPost, stop, "List-Unsubscribe=One-Click"); status != http.StatusOK {
		t.Errorf("second POST: %d", status)
	}
	if _, n2 := state(); n2 != n {
		t.Errorf("second POST audited again")
	}
}

// TestExpiredInvitationPage: once the scheduler expired an invitation its link
// page says it expired, even while the link's token is still within its time.
func TestExpiredInvitationPage(t *testing.T) {
	ctx := context.Background()
	e := newWebEnv(t)
	p, _, err := e.store.CreatePartner(ctx, "Contoso Ltd", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateCustomer(ctx, "Fabrikam", "", partnerships.CustomerUser{Email: "ada@fabrikam.example", Role: partnerships.GlobalAdmin}); err != nil {
		t.Fatal(err)
	}
	// Created a day ago with a TTL of an hour, by the store's clock.
	e.now = time.Now().Add(-24 * time.Hour)
	inv, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: p.ID, Email: "ada@fabrikam.example", Type: partnerships.Advisor, Locale: "en", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.now = time.Now()
	if _, err := e.store.ExpireInvitation(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	// A token still within its time, as a clock skew or a longer-lived link would leave it.
	token, _, err := e.ring.Issue(tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID, Recipient: inv.Email,
		ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.url + "/invite/" + token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(b), "This invitation has expired") {
		t.Errorf("GET the link: %d\n%.600s", resp.StatusCode, b)
	}
}
