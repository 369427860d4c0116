package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

// notifyTasks waits until the queue holds n relationship:notify tasks (the
// harness's worker has no handler for them: the test runs the Notifier itself)
// and returns them.
func (s *system) notifyTasks(n int) []*asynq.TaskInfo {
	s.t.Helper()
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: s.rdb.Options().Addr})
	defer insp.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []*asynq.TaskInfo
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){insp.ListPendingTasks, insp.ListRetryTasks, insp.ListActiveTasks} {
			tasks, _ := list(jobs.QueueMail)
			for _, ti := range tasks {
				if ti.Type == jobs.TypeNotify {
					out = append(out, ti)
				}
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) != n {
				s.t.Fatalf("%d notify tasks queued, want %d", len(out), n)
			}
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliver runs the Notifier on each task, sending through the sink.
func (s *system) deliver(tasks []*asynq.TaskInfo) {
	s.t.Helper()
	host, port, _ := net.SplitHostPort(s.sink.Addr())
	portN, _ := strconv.Atoi(port)
	m, err := mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@partnerlink.test", Timeout: 5 * time.Second}, s.log)
	if err != nil {
		s.t.Fatal(err)
	}
	defer m.Close()
	tpl, err := templates.New()
	if err != nil {
		s.t.Fatal(err)
	}
	n := jobs.NewNotifier(s.store, tpl, m, "partnerlink.test", s.log)
	for _, ti := range tasks {
		if err := n.ProcessTask(context.Background(), asynq.NewTask(ti.Type, ti.Payload)); err != nil {
			s.t.Fatalf("notify %s: %v", ti.ID, err)
		}
	}
}

// TestAcceptAndDeclineNotifyPartner: accepting through the pages queues
// invitation.accepted (which tells of the agreement too), declining queues invitation.declined;
// delivered, each reaches the partner's contact address.
func TestAcceptAndDeclineNotifyPartner(t *testing.T) {
	s := start(t)
	accepted := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)
	s.waitStatus(accepted, partnerships.StatusSent)
	b := newBrowser(t)
	_, page := b.do("GET", link, nil)
	form := formFields(t, page)
	form.Set("agree", "yes")
	if resp, body := b.do("POST", link+"/accept", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("accept: %d\n%s", resp.StatusCode, body)
	}
	// One event: the accepted notice says the agreement was signed too.
	tasks := s.notifyTasks(1)
	var kinds []string
	for _, ti := range tasks {
		kinds = append(kinds, strings.SplitN(ti.ID, ":", 3)[1])
	}
	if !slices.Equal(kinds, []string{jobs.EventInvitationAccepted}) {
		t.Errorf("queued %v", kinds)
	}
	s.deliver(tasks)

	declined := s.invite(adminEmail, "reseller", "en")
	s.waitStatus(declined, partnerships.StatusSent)
	_, link2 := s.waitForLink(adminEmail, 3) // the first invitation, its accepted notice, this one
	_, confirm := b.do("GET", link2+"/decline", nil)
	if resp, body := b.do("POST", link2+"/decline", url.Values{"csrf": {formFields(t, confirm).Get("csrf")}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("decline: %d\n%s", resp.StatusCode, body)
	}
	// The delivered task is done; the decline's is the one left.
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: s.rdb.Options().Addr})
	defer insp.Close()
	for _, ti := range tasks {
		_ = insp.DeleteTask(jobs.QueueMail, ti.ID)
	}
	left := s.notifyTasks(1)
	s.deliver(left)

	var subjects []string
	for _, m := range s.sink.Messages() {
		if slices.Contains(m.To, s.partner.ContactEmail) {
			subjects = append(subjects, m.Subject)
			if m.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("%q is not marked auto-generated", m.Subject)
			}
		}
	}
	slices.Sort(subjects)
	want := []string{"Fabrikam, Inc. accepted your invitation", "Fabrikam, Inc. declined your invitation"}
	if !slices.Equal(subjects, want) {
		t.Errorf("partner got %q, want %q", subjects, want)
	}
}
