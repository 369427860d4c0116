package main

import (
	"strings"
	"testing"
)

func TestInboxConfig(t *testing.T) {
	clearEnv(t)
	redisURL := closedRedisURL(t)
	good := []string{"inbox", "--redis-url", redisURL, "--imap-url", "imap://partnerlink:secret@127.0.0.1:1143?tls=none",
		"--inbox-address", "partnerlink@example.com"}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no imap url", without(good, "imap-url"), 2, []string{"--imap-url", "PARTNERLINK_IMAP_URL"}},
		{"no inbox address", without(good, "inbox-address"), 2, []string{"--inbox-address", "PARTNERLINK_INBOX_ADDRESS"}},
		{"bad imap url", append(without(good, "imap-url"), "--imap-url", "ftp://u:hunter2@x"), 2, []string{"PARTNERLINK_IMAP_URL"}},
		{"plain text off loopback", append(without(good, "imap-url"), "--imap-url", "imap://u:hunter2@mail.example.com?tls=none"), 2, []string{"PARTNERLINK_IMAP_URL"}},
		{"display name", append(without(good, "inbox-address"), "--inbox-address", "Partnerlink <p@example.com>"), 2, []string{"plain address"}},
		{"redis unreachable", good, 1, []string{"cannot reach Redis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%v", r.code, tt.code, r)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%v", w, r)
				}
			}
			if strings.Contains(r.stderr, "hunter2") || strings.Contains(r.stderr, "secret@") {
				t.Errorf("a password shows:\n%v", r)
			}
		})
	}
}
