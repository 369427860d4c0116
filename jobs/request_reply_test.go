package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

func replyPayload(e *env) RequestReplyPayload {
	return RequestReplyPayload{
		PartnerID: e.partner.ID,
		To:        e.partner.ContactEmail,
		InReplyTo: "<CAF=req.1@mail.contoso.example>",
		Locale:    "de",
		Data: templates.RequestReplyData{
			PartnerName: e.partner.Name,
			Created: []templates.ReplyInvitation{{CustomerEmail: adminEmail, Type: string(partnerships.Advisor),
				ID: "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb", ExpiresAt: time.Date(2026, 3, 16, 17, 0, 0, 0, time.UTC)}},
			Errors:          []string{`line 7: type "boss" is not one of …`},
			OriginalSubject: "Invite Fabrikam",
		},
	}
}

func TestRequestReply(t *testing.T) {
	e := newEnv(t)
	replier := NewRequestReplier(e.tpl, e.mail, testDomain, e.log)
	srv := NewServer(e.conn, ServerConfig{Concurrency: 2, ShutdownTimeout: 2 * time.Second}, e.log)
	if err := srv.Start(NewMux(e.sender, Route{Type: TypeRequestReply, Handler: replier})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	enq := NewEnqueuer(e.client(t))
	ctx := context.Background()
	key := "<CAF=req.1@mail.contoso.example>"

	if err := enq.RequestReply(ctx, key, replyPayload(e)); err != nil {
		t.Fatal(err)
	}
	msgs := e.messages(t, 1)
	m := msgs[0]
	if len(m.To) != 1 || m.To[0] != "partners@contoso.example" {
		t.Errorf("To = %v", m.To)
	}
	if m.Subject != "Re: Invite Fabrikam" {
		t.Errorf("Subject = %q", m.Subject)
	}
	for name, want := range map[string]string{
		"In-Reply-To":        "<CAF=req.1@mail.contoso.example>",
		"References":         "<CAF=req.1@mail.contoso.example>",
		"Auto-Submitted":     "auto-replied",
		"X-Partnerlink-Loop": "1",
	} {
		if got := m.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.HasSuffix(m.MessageID, "@"+testDomain+">") || !strings.HasPrefix(m.MessageID, "<request-reply.") {
		t.Errorf("Message-ID = %q", m.MessageID)
	}
	if !strings.Contains(m.Text, "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb") || !strings.Contains(m.Text, "line 7:") {
		t.Errorf("text lacks the invitation or the error:\n%s", m.Text)
	}

	// Done and retained: the same key is refused for a day.
	insp := e.inspector(t)
	eventually(t, "reply task completed", func() bool {
		info, err := insp.GetTaskInfo(QueueMail, replyTaskID(key))
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	if err := enq.RequestReply(ctx, key, replyPayload(e)); !errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("second RequestReply: err = %v, want ErrAlreadyQueued", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(e.sink.Messages()); n != 1 {
		t.Errorf("sink holds %d messages, want 1", n)
	}
}

func TestRequestReplyRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	enq := NewEnqueuer(e.client(t))
	if err := enq.RequestReply(context.Background(), "", replyPayload(e)); err == nil {
		t.Error("empty key: no error")
	}
	p := replyPayload(e)
	p.To = ""
	if _, err := NewRequestReplyTask("k", p); err == nil {
		t.Error("no recipient: no error")
	}

	// A reply that cannot be rendered is not retried; a malformed Message-ID is
	// left out rather than copied into a header.
	replier := NewRequestReplier(e.tpl, e.mail, testDomain, e.log)
	p = replyPayload(e)
	p.Data.PartnerName = ""
	task, err := NewRequestReplyTask("k1", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := replier.ProcessTask(context.Background(), task); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("unrenderable reply: err = %v, want SkipRetry", err)
	}
	p = replyPayload(e)
	p.InReplyTo = "<x@y>\r\nBcc: victim@example.com"
	if task, err = NewRequestReplyTask("k2", p); err != nil {
		t.Fatal(err)
	}
	if err := replier.ProcessTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	m := e.messages(t, 1)[0]
	if m.Header.Get("In-Reply-To") != "" || m.Header.Get("Bcc") != "" {
		t.Errorf("malformed Message-ID reached the headers: %v", m.Header)
	}
}
