package jobs

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendToUnreachableServer (issue 6 item 3): with nothing listening on the SMTP
// port the task goes to the retry set and the invitation stays pending: nothing
// lost. Once a server listens on that port, running the task delivers it.
func TestSendToUnreachableServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // closed: connections are refused
	host, port, _ := net.SplitHostPort(addr)
	portN, _ := strconv.Atoi(port)
	m, err := mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@partnerlink.test", Timeout: 2 * time.Second}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	e.sender = e.newSender(m)

	inv := e.invite(t, partnerships.Reseller, "en")
	if err := NewEnqueuer(e.client(t)).SendInvitation(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)
	insp := e.inspector(t)
	info := e.taskInfo(t, insp, inv.ID, asynq.TaskStateRetry)
	if !strings.Contains(info.LastErr, "refused") {
		t.Errorf("retry task's last error = %q, want the refused connection", info.LastErr)
	}
	if got := e.invitation(t, inv.ID); got.Status != partnerships.StatusPending || got.FailureReason != "" {
		t.Errorf("invitation = {Status:%s FailureReason:%q}, want pending", got.Status, got.FailureReason)
	}

	sink, err := mailsink.Start(mailsink.Options{Addr: addr})
	if err != nil {
		t.Fatalf("start a server on %s: %v", addr, err)
	}
	t.Cleanup(func() { sink.Close() })
	if err := insp.RunTask(QueueMail, sendTaskID(inv.ID)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	msgs, err := sink.Wait(wctx, 1)
	if err != nil {
		t.Fatalf("no delivery once the server listens: %v", err)
	}
	if want := mailer.MessageID(inv.ID, "invitation", testDomain); msgs[0].MessageID != want {
		t.Errorf("Message-ID = %s, want %s", msgs[0].MessageID, want)
	}
	e.status(t, inv.ID, partnerships.StatusSent)
	e.taskGone(t, insp, inv.ID)
}
