package e2e

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/web"
)

// startScheduled is start with invitations of a tiny TTL and reminder offsets, the
// scheduler's task handlers in the worker and a scheduler sweeping every second.
func startScheduled(t *testing.T, ttl time.Duration, reminders []time.Duration) *system {
	t.Helper()
	w := wire(t, testredis.Start(t), web.Config{InviteTTL: ttl}, partnerships.WithReminders(reminders))
	routes := jobs.DueRoutes(jobs.NewReminder(w.store, w.tpl, w.mail, w.ring, w.links, "partnerlink.test", w.log),
		jobs.NewExpirer(w.store, w.enq, w.log), jobs.NewTermKeeper(w.store, w.enq, w.log))
	// Notifications are another helper's; here they are only taken off the queue.
	w.startWorker(append(routes, jobs.Route{Type: jobs.TypeNotify, Handler: asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })})...)
	sched := jobs.NewScheduler(w.store, w.rdb, w.enq, jobs.SchedulerConfig{Interval: time.Second}, w.log)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sched.Run(sctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return w.seed(partnerships.CustomerUser{Email: billingEmail, Role: partnerships.BillingAdmin})
}

// mailsTo waits until rcpt has n messages and returns them, oldest first.
func (s *system) mailsTo(rcpt string, n int, within time.Duration) []mailsink.Message {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var got []mailsink.Message
		for _, m := range s.sink.Messages() {
			if slices.Contains(m.To, rcpt) {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d messages to %s after %v, want %d", len(got), rcpt, within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var unsubRE = regexp.MustCompile(`^<(https?://[^>]+/reminders/stop/[A-Za-z0-9_-]+)>$`)

// TestRemindersThenExpiry: an invitation of 12 seconds with reminders 8 and 4
// seconds before expiry gets the invitation email, two reminders carrying the same
// link, then expires: its link page says so. A second invitation whose recipient
// used the one-click stop link after the first reminder gets no second one.
func TestRemindersThenExpiry(t *testing.T) {
	const ttl = 12 * time.Second
	s := startScheduled(t, ttl, []time.Duration{8 * time.Second, 4 * time.Second})
	id := s.invite(adminEmail, "advisor", "en")
	stopped := s.invite(billingEmail, "advisor", "de")

	// The invitation, then the first reminder with the same link.
	link := linkRE.FindString(s.mailsTo(adminEmail, 1, ttl)[0].Text)
	if link == "" {
		t.Fatalf("no invite link in the invitation to %s", adminEmail)
	}
	first := s.mailsTo(billingEmail, 2, ttl)[1]
	if !strings.Contains(first.Subject, "Erinnerung") {
		t.Fatalf("second message to %s is %q, want a reminder", billingEmail, first.Subject)
	}
	mm := unsubRE.FindStringSubmatch(first.Header.Get("List-Unsubscribe"))
	if mm == nil || first.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("reminder headers: List-Unsubscribe %q, List-Unsubscribe-Post %q", first.Header.Get("List-Unsubscribe"), first.Header.Get("List-Unsubscribe-Post"))
	}
	resp, err := http.Post(mm[1], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click stop: %d", resp.StatusCode)
	}

	msgs := s.mailsTo(adminEmail, 3, 2*ttl)
	for i, m := range msgs[1:] {
		if !strings.HasPrefix(m.Subject, "Reminder: ") {
			t.Errorf("message %d to %s is %q, want a reminder", i+2, adminEmail, m.Subject)
		}
		if got := linkRE.FindString(m.Text); got != link {
			t.Errorf("reminder %d carries %q, want the invitation's link %q", i+1, got, link)
		}
	}

	s.waitStatus(id, partnerships.StatusExpired)
	s.waitStatus(stopped, partnerships.StatusExpired)
	if n := len(s.mailsTo(adminEmail, 3, 0)); n != 3 {
		t.Errorf("%d messages to %s, want the invitation and two reminders", n, adminEmail)
	}
	if n := len(s.mailsTo(billingEmail, 2, 0)); n != 2 {
		t.Errorf("%d messages to %s after stopping reminders, want the invitation and one reminder", n, billingEmail)
	}
	_, page := newBrowser(t).do("GET", link, nil)
	mustContain(t, "the expired invitation's page", page, "This invitation has expired")
	events, err := s.store.Audit(context.Background(), s.customer.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.Action]++
	}
	if count[partnerships.ActionInvitationReminded] != 3 || count[partnerships.ActionInvitationExpired] != 2 || count[partnerships.ActionInvitationRemindersStopped] != 1 {
		t.Errorf("audit actions = %v, want 3 reminded, 2 expired, 1 reminders_stopped", count)
	}
}

// TestAPIDuration creates a time-bound invitation through the partner API and
// shows a bad duration and a refused auto_extend as field errors.
func TestAPIDuration(t *testing.T) {
	s := start(t)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		check  func(body map[string]any) bool
	}{
		{"720h with auto-extend", map[string]any{"customer_email": adminEmail, "relationship_type": "advisor", "duration": "720h", "auto_extend": true},
			http.StatusCreated, func(b map[string]any) bool { return b["duration"] == "720h" && b["auto_extend"] == true }},
		{"days as a number", map[string]any{"customer_email": adminEmail, "relationship_type": "advisor", "duration": 90},
			http.StatusCreated, func(b map[string]any) bool { return b["duration"] == "2160h" && b["auto_extend"] == nil }},
		{"open-ended", map[string]any{"customer_email": adminEmail, "relationship_type": "advisor"},
			http.StatusCreated, func(b map[string]any) bool { return b["duration"] == nil }},
		{"too long", map[string]any{"customer_email": adminEmail, "relationship_type": "advisor", "duration": "3y"},
			http.StatusBadRequest, func(b map[string]any) bool { return fieldError(b, "duration") }},
		{"auto-extend with global admin", map[string]any{"customer_email": adminEmail, "relationship_type": "delegated_admin", "duration": 30, "auto_extend": true},
			http.StatusBadRequest, func(b map[string]any) bool { return fieldError(b, "auto_extend") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.snapshot()
			code, body := s.api("POST", "/api/v1/invitations", s.apiKey, tc.body)
			if code != tc.status || !tc.check(body) {
				t.Fatalf("status %d, body %v", code, body)
			}
			if code == http.StatusCreated {
				inv, err := s.store.Invitation(context.Background(), body["id"].(string))
				if err != nil || formatHours(inv.Duration) != body["duration"] {
					t.Errorf("stored %v, %v; response duration %v", inv.Duration, err, body["duration"])
				}
			} else if after := s.snapshot(); len(after) != len(before) {
				t.Errorf("a refused request wrote keys")
			}
		})
	}
}

// TestReviewShowsTerm: the invitation page of a time-bound invitation says how
// long the relationship lasts.
func TestReviewShowsTerm(t *testing.T) {
	s := start(t)
	code, body := s.api("POST", "/api/v1/invitations", s.apiKey, map[string]any{
		"customer_email": billingEmail, "relationship_type": "advisor", "locale": "en", "duration": "2d"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	_, link := s.waitForLink(billingEmail, 1)
	_, page := newBrowser(t).do("GET", link, nil)
	mustContain(t, "the review page", page, `<dd id="term">2 days from acceptance; then the roles are removed.</dd>`)
}

func fieldError(body map[string]any, field string) bool {
	fields, _ := body["fields"].(map[string]any)
	_, ok := fields[field]
	return ok
}

func formatHours(d time.Duration) any {
	if d == 0 {
		return nil
	}
	return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
}
