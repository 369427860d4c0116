package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDevSchedules runs `partnerlink dev` with a tiny invitation TTL and one
// reminder: dev's own scheduler (sweeping every 2s on the embedded Redis) sends
// the demo invitation's reminder, then expires it.
func TestDevSchedules(t *testing.T) {
	clearEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--http-addr", "127.0.0.1:0", "--smtp-addr", "127.0.0.1:0", "--imap-addr", "127.0.0.1:0",
			"--invite-ttl", "6s", "--reminders", "3s"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("dev did not stop within 10s of the context ending")
		}
		if strings.Contains(stderr.String(), "level=ERROR") {
			t.Errorf("dev logged errors:\n%s", stderr.String())
		}
	}()
	w := waitWelcome(t, &stdout, &stderr, done)
	c := newClient()
	deadline := time.Now().Add(15 * time.Second)
	var subjects []string
	for {
		subjects = subjects[:0]
		for _, m := range listMail(t, c, w) {
			subjects = append(subjects, m.Subject)
		}
		if len(subjects) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail after 15s: %q, want the invitation and a reminder\n%s", subjects, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(strings.Join(subjects, "\n"), "Reminder: ") {
		t.Errorf("subjects %q: no reminder", subjects)
	}
	for !strings.Contains(stderr.String(), "invitation expired") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo invitation did not expire:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
