package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/internal/testdovecot"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// requestUser is the address of the i-th user (1-based) of the customer that the
// inbox's crash and load tests create: u<i>@fabrikam.example.
func requestUser(i int) string { return fmt.Sprintf("u%d@fabrikam.example", i) }

// seedRequestCustomer creates the partner whose contact partners@contoso.example
// sends the requests, and a customer with users u1..u<n>@fabrikam.example.
func seedRequestCustomer(tb testing.TB, store *partnerships.Store, n int) (partnerships.Partner, partnerships.Customer) {
	tb.Helper()
	ctx := context.Background()
	partner, _, err := store.CreatePartner(ctx, "Contoso Ltd", "partners@contoso.example")
	if err != nil {
		tb.Fatal(err)
	}
	customer, err := store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: requestUser(1), Name: "U1", Role: partnerships.GlobalAdmin})
	if err != nil {
		tb.Fatal(err)
	}
	for i := 2; i <= n; i++ {
		if err := store.AddCustomerUser(ctx, partnerships.CustomerUser{
			CustomerID: customer.ID, Email: requestUser(i), Role: partnerships.User}); err != nil {
			tb.Fatal(err)
		}
	}
	return partner, customer
}

// requestMail is requests/testdata/single.eml sent to inboxAddress, authenticated by
// trustedAuthServ (dkim=pass header.d=contoso.example), asking for one invitation
// for user i, with a Message-ID of its own.
func requestMail(tb testing.TB, template []byte, i int) []byte {
	tb.Helper()
	return []byte(strings.NewReplacer(
		"requests@partnerlink.example", inboxAddress,
		"mx.partnerlink.example", trustedAuthServ,
		"admin@fabrikam.example", requestUser(i),
		"<CAF1req.single@mail.contoso.example>", fmt.Sprintf("<req-%d@mail.contoso.example>", i),
	).Replace(string(template)))
}

// requestMails returns n request mails, the i-th asking for user i.
func requestMails(tb testing.TB, n int) [][]byte {
	tpl := readRequestTemplate(tb)
	raws := make([][]byte, n)
	for i := range n {
		raws[i] = requestMail(tb, tpl, i+1)
	}
	return raws
}

func readRequestTemplate(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("../requests/testdata/single.eml")
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.Contains(string(b), "Authentication-Results: mx.partnerlink.example;\n\tdkim=pass header.d=contoso.example") {
		tb.Fatalf("requests/testdata/single.eml no longer carries the DKIM pass this test relies on")
	}
	return b
}

// TestInboxKilledAtAnyPoint runs the real `partnerlink inbox` binary against a real
// Dovecot and a real redis-server and SIGKILLs it at random moments while it works
// through 60 requests, restarting it each time. Every request must still be
// handled exactly once in effect: one invitation per user, one send task per
// invitation, one reply per mail, every mail in Processed.
func TestInboxKilledAtAnyPoint(t *testing.T) {
	const (
		n        = 60
		minKills = 10
		maxKills = 60
	)
	bin := buildPartnerlink(t)
	dc := testdovecot.Start(t)
	rs := testredis.Start(t)
	rdb := rs.Client()
	store := partnerships.NewStore(rdb)
	partner, customer := seedRequestCustomer(t, store, n)

	raws := requestMails(t, n)
	appendAll(t, dc.Addr, dc.User, dc.Password, "INBOX", raws)
	if c, err := countMailbox(dc.Addr, dc.User, dc.Password, "INBOX"); err != nil || c != n {
		t.Fatalf("INBOX holds %d (%v) before the run, want %d", c, err, n)
	}

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed>>1)))

	imapURL := (&url.URL{Scheme: "imap", User: url.UserPassword(dc.User, dc.Password), Host: dc.Addr, RawQuery: "tls=none"}).String()
	env := append(os.Environ(),
		"PARTNERLINK_REDIS_URL="+rs.URL,
		"PARTNERLINK_IMAP_URL="+imapURL,
		"PARTNERLINK_INBOX_ADDRESS="+inboxAddress,
		"PARTNERLINK_TRUSTED_AUTHSERV="+trustedAuthServ,
		"PARTNERLINK_LOG_FORMAT=json",
		"PARTNERLINK_LOG_LEVEL=info",
	)
	logDir := t.TempDir()
	var logs []string
	startInbox := func() *exec.Cmd {
		t.Helper()
		path := filepath.Join(logDir, fmt.Sprintf("run-%02d.log", len(logs)+1))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "inbox")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			f.Close()
			t.Fatalf("start partnerlink inbox: %v", err)
		}
		f.Close() // the child holds its own descriptor
		logs = append(logs, path)
		return cmd
	}
	var current *exec.Cmd
	t.Cleanup(func() {
		if current != nil && current.ProcessState == nil {
			_ = current.Process.Kill()
			_ = current.Wait()
		}
	})
	dumpLogs := func() {
		t.Helper()
		for _, p := range logs {
			b, _ := os.ReadFile(p)
			t.Logf("--- %s:\n%s", filepath.Base(p), b)
		}
	}

	// Kill at random moments: at least minKills times, and on while mail is left,
	// up to maxKills.
	kills, killsAtWork := 0, 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, err := countMailbox(dc.Addr, dc.User, dc.Password, "INBOX")
		if err != nil {
			t.Fatalf("count INBOX: %v", err)
		}
		if kills >= minKills && (left == 0 || kills >= maxKills || time.Now().After(deadline)) {
			break
		}
		current = startInbox()
		time.Sleep(time.Duration(20+rng.IntN(281)) * time.Millisecond)
		if err := current.Process.Signal(syscall.SIGKILL); err != nil {
			dumpLogs()
			t.Fatalf("kill run %d: %v (did it exit by itself?)", len(logs), err)
		}
		werr := current.Wait()
		var ee *exec.ExitError
		if !errors.As(werr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			dumpLogs()
			t.Fatalf("run %d ended with %v before it was killed", len(logs), werr)
		}
		kills++
		// A kill "at work": the run had connected and mail was still waiting, so it
		// landed somewhere in fetch, handle, record or move.
		after, err := countMailbox(dc.Addr, dc.User, dc.Password, "INBOX")
		if err != nil {
			t.Fatalf("count INBOX: %v", err)
		}
		if b, _ := os.ReadFile(logs[len(logs)-1]); after > 0 && strings.Contains(string(b), `"msg":"inbox: watching"`) {
			killsAtWork++
		}
	}
	left, _ := countMailbox(dc.Addr, dc.User, dc.Password, "INBOX")
	t.Logf("%d kills (%d while processing: connected, with mail left), %d messages left for the last run", kills, killsAtWork, left)

	// The last run goes on until it watches an empty INBOX, then stops on SIGTERM
	// (sent only once it watches: before its signal handler is set, SIGTERM would
	// end it the default way).
	current = startInbox()
	wait := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(logs[len(logs)-1])
		in, err := countMailbox(dc.Addr, dc.User, dc.Password, "INBOX")
		if err == nil && in == 0 && strings.Contains(string(b), `"msg":"inbox: watching"`) {
			break
		}
		if time.Now().After(wait) {
			dumpLogs()
			t.Fatalf("INBOX still holds %d (%v) after 60s", in, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := current.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- current.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			dumpLogs()
			t.Errorf("after SIGTERM partnerlink inbox exited with %v, want 0", err)
		}
	case <-time.After(15 * time.Second):
		_ = current.Process.Kill()
		<-exited
		dumpLogs()
		t.Fatalf("partnerlink inbox did not exit within 15s of SIGTERM")
	}

	// Mailboxes: every request in Processed, once.
	processed := dc.Mailbox(t, "Processed")
	rejected := dc.Mailbox(t, "Rejected")
	if in, err := countMailbox(dc.Addr, dc.User, dc.Password, "INBOX"); err != nil || in != 0 {
		t.Errorf("INBOX holds %d (%v), want 0", in, err)
	}
	if len(rejected) != 0 {
		t.Errorf("Rejected holds %d, want 0", len(rejected))
	}
	seenIDs := map[string]int{}
	for _, raw := range processed {
		m, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Errorf("a message in Processed does not parse: %v", err)
			continue
		}
		seenIDs[m.Header.Get("Message-Id")]++
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("<req-%d@mail.contoso.example>", i)
		if seenIDs[id] != 1 {
			t.Errorf("request %d is in Processed %d times, want 1", i, seenIDs[id])
		}
	}
	if len(processed) != n {
		t.Errorf("Processed holds %d, want %d", len(processed), n)
	}

	// Invitations: exactly one per user.
	ctx := context.Background()
	invs, err := store.InvitationsByCustomer(ctx, customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	perUser := map[string]int{}
	invIDs := map[string]bool{}
	for _, inv := range invs {
		perUser[inv.Email]++
		invIDs[inv.ID] = true
		if inv.PartnerID != partner.ID || inv.Type != partnerships.DelegatedAdmin {
			t.Errorf("invitation %s: partner %s, type %s", inv.ID, inv.PartnerID, inv.Type)
		}
	}
	duplicates := len(invs) - len(perUser)
	for i := 1; i <= n; i++ {
		if c := perUser[requestUser(i)]; c != 1 {
			t.Errorf("%s has %d invitations, want 1", requestUser(i), c)
		}
	}
	if len(invs) != n {
		t.Errorf("%d invitations, want %d", len(invs), n)
	}

	// Queue: one send per invitation and one reply per mail, all pending (no worker runs).
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr})
	defer insp.Close()
	tasks, err := insp.ListPendingTasks(jobs.QueueMail, asynq.PageSize(500))
	if err != nil {
		t.Fatalf("list pending tasks: %v", err)
	}
	byType := map[string]int{}
	for _, ti := range tasks {
		byType[ti.Type]++
		if ti.Type == jobs.TypeSendInvitation && !invIDs[strings.TrimPrefix(ti.ID, "send:")] {
			t.Errorf("send task %s is for no invitation of the customer", ti.ID)
		}
	}
	if byType[jobs.TypeSendInvitation] != n || byType[jobs.TypeRequestReply] != n || len(tasks) != 2*n {
		t.Errorf("queue %q holds %v (%d tasks), want %d %s and %d %s", jobs.QueueMail, byType, len(tasks),
			n, jobs.TypeSendInvitation, n, jobs.TypeRequestReply)
	}

	// What the logs say about the crashes.
	handled, movedAgain, lost := 0, 0, 0
	for _, p := range logs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			switch rec["msg"] {
			case "mail processed", "mail rejected":
				handled++
			case "inbox: moving a message handled before":
				movedAgain++
			case "inbox: handler failed; the message stays for the next pass":
				lost++
			}
		}
		f.Close()
	}
	t.Logf("kills %d (%d while processing), duplicates %d; the handler finished %d times for %d mails (%d again after a kill), "+
		"%d moved after an earlier run had recorded the outcome, %d handler failures",
		kills, killsAtWork, duplicates, handled, n, handled-n, movedAgain, lost)
	if t.Failed() {
		dumpLogs()
	}
}
