package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendInvitation enqueues invitations through the Enqueuer and has the real
// worker send them: one message each, with the stable Message-ID and a link whose
// token verifies as the invitation's; each invitation is then sent.
func TestSendInvitation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		typ      partnerships.RelationshipType
		locale   string
		wantText string // in the text part
	}{
		{"english reseller", partnerships.Reseller, "en", "Contoso Ltd"},
		{"german delegated admin", partnerships.DelegatedAdmin, "de", "Contoso Ltd"},
	}
	invs := make([]partnerships.Invitation, len(tests))
	enq := NewEnqueuer(e.client(t))
	for i, tt := range tests {
		invs[i] = e.invite(t, tt.typ, tt.locale)
		if err := enq.SendInvitation(ctx, invs[i].ID); err != nil {
			t.Fatalf("%s: SendInvitation = %v", tt.name, err)
		}
	}
	e.startWorker(t)
	msgs := e.messages(t, len(tests))
	insp := e.inspector(t)

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := invs[i]
			wantID := mailer.MessageID(inv.ID, "invitation", testDomain)
			j := slices.IndexFunc(msgs, func(m mailsink.Message) bool { return m.MessageID == wantID })
			if j < 0 {
				t.Fatalf("no message with Message-ID %s among %d", wantID, len(msgs))
			}
			m := msgs[j]
			if want := "bounces+" + inv.ID + "@" + testDomain; m.From != want {
				t.Errorf("envelope sender = %q, want the VERP address %q", m.From, want)
			}
			if !slices.Equal(m.To, []string{adminEmail}) {
				t.Errorf("envelope recipients = %v, want [%s]", m.To, adminEmail)
			}
			if m.ParseErr != "" {
				t.Errorf("message did not parse: %s", m.ParseErr)
			}
			if !strings.Contains(m.Text, tt.wantText) {
				t.Errorf("text part lacks %q:\n%s", tt.wantText, m.Text)
			}
			link, token := inviteLink(t, m.Text)
			if m.HTML != "" && !strings.Contains(m.HTML, link) {
				t.Errorf("HTML part lacks the link %s", link)
			}
			e.checkToken(t, token, inv)

			got := e.status(t, inv.ID, partnerships.StatusSent)
			if got.SentAt.IsZero() || got.SentAt.Before(inv.CreatedAt) {
				t.Errorf("SentAt = %v, want set, not before CreatedAt %v", got.SentAt, inv.CreatedAt)
			}
			if got.MessageID != wantID {
				t.Errorf("stored MessageID = %q, want %q", got.MessageID, wantID)
			}
			e.taskGone(t, insp, inv.ID)
		})
	}
	if n := len(e.sink.Messages()); n != len(tests) {
		t.Errorf("sink holds %d messages, want %d", n, len(tests))
	}
}
