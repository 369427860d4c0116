package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

func startSink(t testing.TB, addr string) *mailsink.Sink {
	t.Helper()
	s, err := mailsink.Start(mailsink.Options{Addr: addr})
	if err != nil {
		t.Fatalf("mailsink: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sinkConfig is a Config for a mailsink (plain text on loopback).
func sinkConfig(t testing.TB, addr string) Config {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Config{Host: host, Port: p, TLS: TLSNone, From: "noreply@partnerlink.example", FromName: "partnerlink", HeloName: "test.partnerlink.example", Timeout: 5 * time.Second}
}

func newMailer(t testing.TB, cfg Config) *Mailer {
	t.Helper()
	m, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func plain(to, subject string) Message {
	return Message{To: to, Subject: subject, Text: "Hello " + subject + "\n"}
}

// TestSendInvitation sends a rendered invitation and checks what the server got.
func TestSendInvitation(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	set, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	data, err := templates.Sample(templates.KindInvitation, partnerships.DelegatedAdmin)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := set.Render(templates.KindInvitation, "de", data)
	if err != nil {
		t.Fatal(err)
	}
	id := MessageID("in_abc", "invitation", "partnerlink.example")
	before := time.Now().Add(-time.Second)
	err = m.Send(t.Context(), Message{
		To: "admin@fabrikam.example", ToName: "Jürgen Müller, IT",
		Subject: rendered.Subject, Text: rendered.Text, HTML: rendered.HTML,
		MessageID: id, Headers: map[string]string{"auto-submitted": "auto-generated", "X-Partnerlink-Kind": "invitation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sink.Wait(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := msgs[0]
	if got.ParseErr != "" {
		t.Fatalf("sink could not parse the message: %s\n%s", got.ParseErr, got.Raw)
	}
	from, err := mail.ParseAddress(got.Header.Get("From"))
	if err != nil {
		t.Fatal(err)
	}
	to, err := mail.ParseAddress(got.Header.Get("To"))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, _, _ := mime.ParseMediaType(got.Header.Get("Content-Type"))
	want := map[string]string{
		"envelope from": "noreply@partnerlink.example", "envelope to": "admin@fabrikam.example",
		"from": `"partnerlink" <noreply@partnerlink.example>`, "to": `"Jürgen Müller, IT" <admin@fabrikam.example>`,
		"subject": rendered.Subject, "message-id": "<invitation.in_abc@partnerlink.example>",
		"content-type": "multipart/alternative", "auto-submitted": "auto-generated", "x-kind": "invitation",
		"text": rendered.Text, "html": rendered.HTML,
	}
	gotFields := map[string]string{
		"envelope from": got.From, "envelope to": strings.Join(got.To, ","),
		"from": from.String(), "to": fmt.Sprintf("%q <%s>", to.Name, to.Address),
		"subject": got.Subject, "message-id": got.MessageID,
		"content-type": mediaType, "auto-submitted": got.Header.Get("Auto-Submitted"), "x-kind": got.Header.Get("X-Partnerlink-Kind"),
		"text": got.Text, "html": got.HTML,
	}
	if diff := cmp.Diff(want, gotFields); diff != "" {
		t.Errorf("received message (-want +got):\n%s", diff)
	}
	date, err := got.Header.Date()
	if err != nil || date.Before(before) || date.After(time.Now().Add(time.Second)) {
		t.Errorf("Date header %q: %v", got.Header.Get("Date"), err)
	}
	if strings.Contains(string(got.Raw), "go-mail") {
		t.Errorf("message names the mail library:\n%s", got.Raw)
	}
}

func TestSendGeneratesMessageID(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	if err := m.Send(t.Context(), plain("a@example.com", "x")); err != nil {
		t.Fatal(err)
	}
	msgs, err := sink.Wait(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if id := msgs[0].MessageID; !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@partnerlink.example>") {
		t.Errorf("generated Message-ID %q", id)
	}
}

func TestSendReusesOneConnection(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	for i := range 3 {
		if err := m.Send(t.Context(), plain("a@example.com", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sink.Wait(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	if n := sink.Connections(); n != 1 {
		t.Errorf("Connections() = %d, want 1", n)
	}
}

func TestSendConcurrently(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				if err := m.Send(t.Context(), plain("a@example.com", fmt.Sprintf("%d-%d", g, i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := len(sink.Messages()); n != 40 {
		t.Errorf("sink got %d messages, want 40", n)
	}
	if n := sink.Connections(); n != 1 {
		t.Errorf("Connections() = %d, want 1", n)
	}
}

func TestSendWithAuth(t *testing.T) {
	sink := startSink(t, "")
	cfg := sinkConfig(t, sink.Addr())
	cfg.Username, cfg.Password = "user", "s3cret"
	m := newMailer(t, cfg)
	if err := m.Send(t.Context(), plain("a@example.com", "auth")); err != nil {
		t.Fatal(err)
	}
}

func TestSendFailures(t *testing.T) {
	sink := startSink(t, "")
	sink.FailWith(func(rcpt string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(rcpt, "busy@"):
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy, try later"}
		case strings.HasPrefix(rcpt, "gone@"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	tests := []struct {
		to        string
		want      error
		code      int
		enhanced  string
		replyPart string
	}{
		{"busy@example.com", ErrTemporary, 451, "4.2.1", "mailbox busy, try later"},
		{"gone@example.com", ErrPermanent, 550, "5.1.1", "no such user"},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			err := m.Send(t.Context(), plain(tt.to, "x"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			other := ErrPermanent
			if tt.want == ErrPermanent {
				other = ErrTemporary
			}
			if errors.Is(err, other) {
				t.Errorf("err matches %v too", other)
			}
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err %T is not a *SendError", err)
			}
			if se.Code != tt.code || se.Enhanced != tt.enhanced || !strings.Contains(se.Reply, tt.replyPart) {
				t.Errorf("SendError = {Code:%d Enhanced:%q Reply:%q}, want %d %q ~%q", se.Code, se.Enhanced, se.Reply, tt.code, tt.enhanced, tt.replyPart)
			}
			if !strings.HasPrefix(err.Error(), "mailer: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			// The mailer recovers: the next message goes out.
			if err := m.Send(t.Context(), plain("ok@example.com", "after")); err != nil {
				t.Errorf("send after failure: %v", err)
			}
		})
	}
}

func TestSendUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m := newMailer(t, sinkConfig(t, addr))
	err = m.Send(t.Context(), plain("a@example.com", "x"))
	var se *SendError
	if !errors.Is(err, ErrTemporary) || !errors.As(err, &se) || se.Code != 0 {
		t.Errorf("err = %v, want a temporary *SendError without code", err)
	}
	if err := m.Ping(t.Context()); !errors.Is(err, ErrTemporary) {
		t.Errorf("Ping: err = %v, want temporary", err)
	}
}

func TestSendServerClosed(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	if err := m.Send(t.Context(), plain("a@example.com", "1")); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), plain("a@example.com", "2")); !errors.Is(err, ErrTemporary) {
		t.Errorf("err = %v, want temporary", err)
	}
}

// TestSendRedialsDroppedConnection: the server goes away and comes back on the
// same address; the next send notices the dead connection before the transaction
// and redials without failing.
func TestSendRedialsDroppedConnection(t *testing.T) {
	first := startSink(t, "")
	addr := first.Addr()
	m := newMailer(t, sinkConfig(t, addr))
	if err := m.Send(t.Context(), plain("a@example.com", "1")); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := startSink(t, addr)
	if err := m.Send(t.Context(), plain("a@example.com", "2")); err != nil {
		t.Fatalf("send after the server restarted: %v", err)
	}
	if msgs := second.Messages(); len(msgs) != 1 || msgs[0].Subject != "2" {
		t.Errorf("restarted server got %+v", msgs)
	}
}

func TestSendCancelled(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := m.Send(ctx, plain("a@example.com", "x"))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTemporary) {
		t.Errorf("err = %v, want context.Canceled and temporary", err)
	}
	if n := sink.Connections(); n != 0 {
		t.Errorf("Connections() = %d, want 0", n)
	}
}

func TestSendInvalid(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	ok := plain("a@example.com", "fine")
	with := func(f func(*Message)) Message { msg := ok; f(&msg); return msg }
	tests := []struct {
		name string
		msg  Message
	}{
		{"CRLF in subject", with(func(m *Message) { m.Subject = "Hi\r\nBcc: victim@example.com" })},
		{"LF in subject", with(func(m *Message) { m.Subject = "Hi\nthere" })},
		{"LF in to name", with(func(m *Message) { m.ToName = "Bob\nBcc: x@example.com" })},
		{"CR in to", with(func(m *Message) { m.To = "a@example.com\r" })},
		{"named to", with(func(m *Message) { m.To = "Bob <bob@example.com>" })},
		{"two recipients", with(func(m *Message) { m.To = "a@example.com, b@example.com" })},
		{"no to", with(func(m *Message) { m.To = "" })},
		{"no text", with(func(m *Message) { m.Text = " \n"; m.HTML = "<p>hi</p>" })},
		{"bad message id", with(func(m *Message) { m.MessageID = "no-brackets@example.com" })},
		{"message id with space", with(func(m *Message) { m.MessageID = "<a b@example.com>" })},
		{"header name with space", with(func(m *Message) { m.Headers = map[string]string{"X Bad": "1"} })},
		{"header name with colon", with(func(m *Message) { m.Headers = map[string]string{"X-Bad:": "1"} })},
		{"reserved header", with(func(m *Message) { m.Headers = map[string]string{"bcc": "x@example.com"} })},
		{"header value with LF", with(func(m *Message) { m.Headers = map[string]string{"X-Note": "a\nBcc: x@example.com"} })},
		{"CRLF in return path", with(func(m *Message) { m.ReturnPath = "bounces@example.com\r\nRCPT TO:<x@example.com>" })},
		{"named return path", with(func(m *Message) { m.ReturnPath = "Bounces <bounces@example.com>" })},
		{"bracketed return path", with(func(m *Message) { m.ReturnPath = "<bounces@example.com>" })},
		{"return path not an address", with(func(m *Message) { m.ReturnPath = "bounces" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Send(t.Context(), tt.msg)
			if !errors.Is(err, ErrInvalidMessage) || !errors.Is(err, ErrPermanent) || errors.Is(err, ErrTemporary) {
				t.Errorf("err = %v, want ErrInvalidMessage (permanent)", err)
			}
		})
	}
	if n := sink.Connections(); n != 0 {
		t.Errorf("invalid messages opened %d connections", n)
	}
}

func TestPingAndClose(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	if err := m.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := m.Send(t.Context(), plain("a@example.com", "x")); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := m.Send(t.Context(), plain("a@example.com", "y")); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrTemporary) {
		t.Errorf("Send after Close: err = %v", err)
	}
	if n := sink.Connections(); n != 2 {
		t.Errorf("Connections() = %d, want 2 (ping, send)", n)
	}
}

func TestMessageID(t *testing.T) {
	tests := []struct{ subject, kind, domain, want string }{
		{"in_abc", "invitation", "example.com", "<invitation.in_abc@example.com>"},
		{"in_abc", "reminder", "Example.COM.", "<reminder.in_abc@example.com>"},
		{"a.b c", "invitation", "example.com", "<invitation.a=2Eb=20c@example.com>"},
		{"a=2E", "invitation", "example.com", "<invitation.a=3D2E@example.com>"},
		{"ü", "x", "example.com", "<x.=C3=BC@example.com>"},
		{"in_abc", "invitation", "bad domain>", "<invitation.in_abc@partnerlink.invalid>"},
		{"in_abc", "invitation", "", "<invitation.in_abc@partnerlink.invalid>"},
	}
	for _, tt := range tests {
		got := MessageID(tt.subject, tt.kind, tt.domain)
		if got != tt.want {
			t.Errorf("MessageID(%q, %q, %q) = %q, want %q", tt.subject, tt.kind, tt.domain, got, tt.want)
		}
		if !messageIDPattern.MatchString(got) {
			t.Errorf("MessageID(%q, %q, %q) = %q is not accepted by Send", tt.subject, tt.kind, tt.domain, got)
		}
	}
}

// TestSendReturnPath: ReturnPath is the envelope sender only; the From header stays
// Config.From, and a message without ReturnPath is sent from Config.From.
func TestSendReturnPath(t *testing.T) {
	sink := startSink(t, "")
	m := newMailer(t, sinkConfig(t, sink.Addr()))
	verp := "bounces+in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb@partnerlink.example"
	withRP := plain("a@example.com", "verp")
	withRP.ReturnPath = verp
	if err := m.Send(t.Context(), withRP); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), plain("a@example.com", "plain")); err != nil {
		t.Fatal(err)
	}
	msgs, err := sink.Wait(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{verp, "noreply@partnerlink.example"} {
		got := msgs[i]
		if got.From != want {
			t.Errorf("message %d: envelope sender = %q, want %q", i, got.From, want)
		}
		if from := got.Header.Get("From"); from != `"partnerlink" <noreply@partnerlink.example>` {
			t.Errorf("message %d: From header = %q", i, from)
		}
		if strings.Contains(string(got.Raw), "bounces+") {
			t.Errorf("message %d: the return path leaked into the message:\n%s", i, got.Raw)
		}
	}
}
