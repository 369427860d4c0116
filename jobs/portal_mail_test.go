package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// TestPortalMails runs both portal email tasks through the handler to the SMTP
// sink: the link in each verifies for its purpose and recipient, and queueing the
// same link twice is refused.
func TestPortalMails(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	client := asynq.NewClient(e.conn)
	t.Cleanup(func() { client.Close() })
	enq := NewEnqueuer(client)
	now := time.Now().UTC().Truncate(time.Second)
	signIn := SignInLinkPayload{Email: adminEmail, CustomerID: e.customer.ID, Locale: "de",
		Token: LinkToken{ID: tokens.NewID(), IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)}}
	if err := enq.SendSignInLink(ctx, signIn); err != nil {
		t.Fatal(err)
	}
	if err := enq.SendSignInLink(ctx, signIn); !errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("same sign-in link queued twice: err = %v, want ErrAlreadyQueued", err)
	}

	inv := e.invite(t, partnerships.Reseller, "en")
	if _, _, err := e.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail,
		Agreement: partnerships.AgreementRef{Version: "2026-01", Locale: "en", SHA256: strings.Repeat("a", 64)}, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	req := AgreementRequestPayload{Email: adminEmail, CustomerID: e.customer.ID, PartnerID: e.partner.ID, Version: "2026-02", Locale: "en",
		Token: LinkToken{ID: tokens.NewID(), IssuedAt: now, ExpiresAt: now.Add(14 * 24 * time.Hour)}}

	h := NewPortalMailer(e.store, e.tpl, e.mail, e.ring, e.links, testDomain, e.log)
	for _, tc := range []struct {
		name    string
		task    func() (*asynq.Task, error)
		purpose tokens.Purpose
		subject string
		path    string
		text    string
	}{
		{"sign-in", func() (*asynq.Task, error) { return NewSignInLinkTask(signIn) }, tokens.PurposeSignIn, adminEmail, "/signin/", "Anmeldelink"},
		{"agreement request", func() (*asynq.Task, error) { return NewAgreementRequestTask(req) }, tokens.PurposeAgreement,
			AgreementSubject(e.customer.ID, e.partner.ID), "/agreement/", "version 2026-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, err := tc.task()
			if err != nil {
				t.Fatal(err)
			}
			before := len(e.sink.Messages())
			if err := h.ProcessTask(ctx, task); err != nil {
				t.Fatal(err)
			}
			msgs := e.sink.Messages()
			if len(msgs) != before+1 {
				t.Fatalf("%d messages sent, want 1", len(msgs)-before)
			}
			m := msgs[len(msgs)-1]
			if !strings.Contains(m.Text, tc.text) && !strings.Contains(m.Subject, tc.text) {
				t.Errorf("message lacks %q:\n%s", tc.text, m.Text)
			}
			i := strings.Index(m.Text, testBase+tc.path)
			if i < 0 {
				t.Fatalf("no %s link in:\n%s", tc.path, m.Text)
			}
			token, _, _ := strings.Cut(m.Text[i+len(testBase+tc.path):], "\n")
			claims, err := e.ring.Verify(strings.TrimSpace(token), tc.purpose)
			if err != nil {
				t.Fatal(err)
			}
			if claims.Subject != tc.subject || claims.CheckRecipient(adminEmail) != nil {
				t.Errorf("claims = %+v", claims)
			}
		})
	}

	// A sign-in link that expired in the queue is dropped, not sent.
	old := signIn
	old.Token = LinkToken{ID: tokens.NewID(), IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)}
	task, _ := NewSignInLinkTask(old)
	before := len(e.sink.Messages())
	if err := h.ProcessTask(ctx, task); err != nil || len(e.sink.Messages()) != before {
		t.Errorf("expired link: err %v, %d sent", err, len(e.sink.Messages())-before)
	}
}
