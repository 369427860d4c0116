package memimap

import (
	"log/slog"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Mail appended between a client's last command and its IDLE is announced as
// the IDLE begins, not only with the next change (TestDevMail lost such mail
// about once in ten runs before).
func TestIdleAnnouncesMailFromBefore(t *testing.T) {
	srv, err := Start("127.0.0.1:0", "u", "p", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	exists := make(chan uint32, 4)
	c, err := imapclient.DialInsecure(srv.Addr(), &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("u", "p").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// Another client delivers while this one sends nothing.
	if err := Append(srv.Addr(), "u", "p", "INBOX", []byte("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-exists:
		if n != 1 {
			t.Errorf("EXISTS %d, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("IDLE did not announce the message appended before it")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}
