package testdovecot

import (
	"bytes"
	"testing"
)

func TestStartAppendMailbox(t *testing.T) {
	s := Start(t)
	msg := []byte("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n")
	s.Append(t, "INBOX", msg)
	s.Append(t, "Other", msg)
	for _, name := range []string{"INBOX", "Other"} {
		got := s.Mailbox(t, name)
		if len(got) != 1 || !bytes.Equal(got[0], msg) {
			t.Errorf("%s = %q, want the one message", name, got)
		}
	}
	if got := s.Mailbox(t, "Missing"); got != nil {
		t.Errorf("Missing = %q, want none", got)
	}
}
