package mailsink

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
)

func startSink(t *testing.T, opts Options) *Sink {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// send delivers raw over a fresh SMTP connection with the go-smtp client.
func send(t *testing.T, s *Sink, from string, to []string, raw string) error {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "any", "thing")); err != nil {
		t.Fatalf("auth: %v", err)
	}
	if err := c.SendMail(from, to, strings.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

func simple(subject string) string {
	return "From: a@example.com\r\nTo: b@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.com>\r\n\r\nHello " + subject + "\r\n"
}

func TestReceiveAndParse(t *testing.T) {
	s := startSink(t, Options{})
	raw, err := os.ReadFile("testdata/qp-base64-rfc2047.eml")
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, s, "bounce@partnerlink.example", []string{"admin@fabrikam.example"}, string(raw)); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Wait(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	got := map[string]any{
		"id": m.ID, "from": m.From, "to": m.To, "subject": m.Subject, "message-id": m.MessageID,
		"text": m.Text, "html": m.HTML, "header-to": m.Header.Get("To"), "parse-err": m.ParseErr,
	}
	want := map[string]any{
		"id": 1, "from": "bounce@partnerlink.example", "to": []string{"admin@fabrikam.example"},
		"subject":    "Einladung für Fabrikam — bitte prüfen",
		"message-id": "<invitation.in_abc@partnerlink.example>",
		"text":       "Grüße aus Köln. Eine sehr lange Zeile, die mit einem weichen Zeilenumbruch weitergeht.\nLink: https://partnerlink.example/a?x=1&y=2.",
		"html":       `<!DOCTYPE html><html lang="de"><body><p>Grüße aus <b>Köln</b></p></body></html>`,
		"header-to":  "admin@fabrikam.example", "parse-err": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed message (-want +got):\n%s", diff)
	}
	if string(m.Raw) != string(raw) {
		t.Errorf("raw differs from what was sent")
	}
	if m.Received.IsZero() {
		t.Error("Received not set")
	}
}

func TestParseLatin1AndGarbage(t *testing.T) {
	raw, err := os.ReadFile("testdata/latin1.eml")
	if err != nil {
		t.Fatal(err)
	}
	m := parse(raw)
	if m.Subject != "Grüße" || m.Text != "Grüße\n" {
		t.Errorf("latin1: subject %q text %q", m.Subject, m.Text)
	}
	m = parse([]byte("no header here"))
	if m.ParseErr == "" || string(m.Raw) != "no header here" {
		t.Errorf("garbage: %+v", m)
	}
}

func TestMaxMessagesKeepsNewest(t *testing.T) {
	s := startSink(t, Options{MaxMessages: 2})
	for _, subj := range []string{"one", "two", "three"} {
		if err := send(t, s, "a@example.com", []string{"b@example.com"}, simple(subj)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, m := range s.Messages() {
		got = append(got, m.Subject)
	}
	if diff := cmp.Diff([]string{"two", "three"}, got); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if _, ok := s.Message(1); ok {
		t.Error("message 1 should have been dropped")
	}
	if m, ok := s.Message(3); !ok || m.Subject != "three" {
		t.Errorf("Message(3) = %+v, %v", m, ok)
	}
	if _, err := s.Wait(t.Context(), 3); err == nil {
		t.Error("Wait for more than MaxMessages should fail")
	}
}

// TestReceivedCounts: Received and WaitReceived count every message, those
// dropped beyond MaxMessages and, with CountOnly, those never kept.
func TestReceivedCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		kept int
	}{
		{"keeps the newest", Options{MaxMessages: 2}, 2},
		{"count only", Options{CountOnly: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSink(t, tc.opts)
			waited := make(chan error, 1)
			go func() { waited <- s.WaitReceived(t.Context(), 3) }()
			for _, subj := range []string{"one", "two", "three"} {
				if err := send(t, s, "a@example.com", []string{"b@example.com"}, simple(subj)); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case err := <-waited:
				if err != nil {
					t.Fatalf("WaitReceived(3): %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("WaitReceived(3) did not return after 3 messages")
			}
			if got := s.Received(); got != 3 {
				t.Errorf("Received() = %d, want 3", got)
			}
			if got := len(s.Messages()); got != tc.kept {
				t.Errorf("kept %d messages, want %d", got, tc.kept)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			if err := s.WaitReceived(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("WaitReceived(4) = %v, want the context's deadline", err)
			}
		})
	}
}

func TestMessagesAreCopies(t *testing.T) {
	s := startSink(t, Options{})
	if err := send(t, s, "a@example.com", []string{"b@example.com"}, simple("x")); err != nil {
		t.Fatal(err)
	}
	m := s.Messages()[0]
	m.To[0] = "changed"
	m.Raw[0] = 'X'
	m.Header["Subject"][0] = "changed"
	again := s.Messages()[0]
	if again.To[0] != "b@example.com" || again.Raw[0] != 'F' || again.Header.Get("Subject") != "x" {
		t.Errorf("caller changed the sink's message: %+v", again)
	}
}

func TestWait(t *testing.T) {
	s := startSink(t, Options{})
	done := make(chan []Message)
	go func() {
		msgs, err := s.Wait(context.Background(), 2)
		if err != nil {
			t.Error(err)
		}
		done <- msgs
	}()
	for _, subj := range []string{"a", "b"} {
		if err := send(t, s, "a@example.com", []string{"b@example.com"}, simple(subj)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case msgs := <-done:
		if len(msgs) != 2 {
			t.Errorf("got %d messages", len(msgs))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Wait(ctx, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with deadline: err = %v", err)
	}

	go func() { time.Sleep(20 * time.Millisecond); _ = s.Close() }()
	if _, err := s.Wait(t.Context(), 3); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait on closed sink: err = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestFailWith(t *testing.T) {
	s := startSink(t, Options{})
	s.FailWith(func(rcpt string) *smtp.SMTPError {
		switch {
		case strings.HasPrefix(rcpt, "busy"):
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "try later"}
		case strings.HasPrefix(rcpt, "gone"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	for rcpt, code := range map[string]int{"busy@example.com": 451, "gone@example.com": 550, "ok@example.com": 0} {
		err := send(t, s, "a@example.com", []string{rcpt}, simple("x"))
		var se *smtp.SMTPError
		switch {
		case code == 0 && err != nil:
			t.Errorf("%s: %v", rcpt, err)
		case code != 0 && (!errors.As(err, &se) || se.Code != code):
			t.Errorf("%s: err = %v, want code %d", rcpt, err, code)
		}
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("kept %d messages, want 1", n)
	}
	s.FailWith(nil)
	if err := send(t, s, "a@example.com", []string{"gone@example.com"}, simple("y")); err != nil {
		t.Errorf("after FailWith(nil): %v", err)
	}
}

func TestConnections(t *testing.T) {
	s := startSink(t, Options{})
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, subj := range []string{"a", "b", "c"} {
		if err := c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(simple(subj))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Wait(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	if n := s.Connections(); n != 1 {
		t.Errorf("Connections() = %d, want 1", n)
	}
}

// TestCloseRightAfterStart: Close must not hang when Serve has not started yet.
func TestCloseRightAfterStart(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			s, err := Start(Options{})
			if err != nil {
				t.Error(err)
				return
			}
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs")
	}
}
