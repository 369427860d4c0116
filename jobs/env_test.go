package jobs

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// The test system's fixed parts.
const (
	testDomain = "partnerlink.test"      // of Message-IDs
	testBase   = "http://127.0.0.1:8080" // of links
	adminEmail = "ada@fabrikam.example"  // the customer's global admin, who is invited
)

// env is the jobs package wired to real peers: a redis-server on a free port, an
// SMTP server in process, the real mailer, store, templates, token ring and
// link builder. Every test gets its own, so tests can run in parallel.
type env struct {
	redis    *testredis.Server
	rdb      *redis.Client
	conn     asynq.RedisClientOpt
	store    *partnerships.Store
	sink     *mailsink.Sink
	mail     *mailer.Mailer
	ring     *tokens.Ring
	links    *links.Builder
	tpl      *templates.Set
	log      *slog.Logger
	sender   *Sender
	partner  partnerships.Partner
	customer partnerships.Customer
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	e := &env{log: testLogger(tb)}
	e.redis = testredis.Start(tb)
	e.rdb = e.redis.Client()
	e.conn = asynq.RedisClientOpt{Addr: e.redis.Addr}
	e.store = partnerships.NewStore(e.rdb)

	var err error
	// A benchmark keeps every message it sends.
	if e.sink, err = mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0", MaxMessages: 1 << 20}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.sink.Close() })
	host, port, _ := net.SplitHostPort(e.sink.Addr())
	portN, _ := strconv.Atoi(port)
	e.mail, err = mailer.New(mailer.Config{
		Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@partnerlink.test", Timeout: 5 * time.Second,
	}, e.log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.mail.Close() })

	key, err := tokens.GenerateKey("k1")
	if err != nil {
		tb.Fatal(err)
	}
	if e.ring, err = tokens.NewRing([]tokens.Key{key}); err != nil {
		tb.Fatal(err)
	}
	if e.links, err = links.New(testBase); err != nil {
		tb.Fatal(err)
	}
	if e.tpl, err = templates.New(); err != nil {
		tb.Fatal(err)
	}
	e.sender = e.newSender(e.mail)

	if e.partner, _, err = e.store.CreatePartner(ctx, "Contoso Ltd", "partners@contoso.example"); err != nil {
		tb.Fatal(err)
	}
	if e.customer, err = e.store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: adminEmail, Name: "Ada", Role: partnerships.GlobalAdmin}); err != nil {
		tb.Fatal(err)
	}
	return e
}

// newSender returns a Sender of e's store, templates, ring and links that sends
// through m.
func (e *env) newSender(m Mailer) *Sender {
	return NewSender(e.store, e.tpl, m, e.ring, e.links, testDomain, e.log)
}

// invite stores a pending invitation of the customer's admin.
func (e *env) invite(tb testing.TB, typ partnerships.RelationshipType, locale string) partnerships.Invitation {
	tb.Helper()
	inv, err := e.store.CreateInvitation(context.Background(), partnerships.NewInvitation{
		PartnerID: e.partner.ID, Email: adminEmail, Type: typ, Locale: locale, TTL: 14 * 24 * time.Hour,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return inv
}

// invitation reads invitation id from the store.
func (e *env) invitation(tb testing.TB, id string) partnerships.Invitation {
	tb.Helper()
	inv, err := e.store.Invitation(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return inv
}

// startWorker runs the real asynq server with the real mux until the test ends.
func (e *env) startWorker(tb testing.TB) {
	tb.Helper()
	srv := NewServer(e.conn, ServerConfig{Concurrency: 2, ShutdownTimeout: 2 * time.Second}, e.log)
	if err := srv.Start(NewMux(e.sender)); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Shutdown)
}

// client returns an asynq client, closed when the test ends.
func (e *env) client(tb testing.TB) *asynq.Client {
	c := asynq.NewClient(e.conn)
	tb.Cleanup(func() { c.Close() })
	return c
}

// inspector returns an asynq inspector, closed when the test ends.
func (e *env) inspector(tb testing.TB) *asynq.Inspector {
	i := asynq.NewInspector(e.conn)
	tb.Cleanup(func() { i.Close() })
	return i
}

// taskInfo waits until the send task of invitation id is in state want.
func (e *env) taskInfo(tb testing.TB, insp *asynq.Inspector, id string, want asynq.TaskState) *asynq.TaskInfo {
	tb.Helper()
	var info *asynq.TaskInfo
	eventually(tb, "task "+sendTaskID(id)+" in state "+want.String(), func() bool {
		var err error
		info, err = insp.GetTaskInfo(QueueMail, sendTaskID(id))
		return err == nil && info.State == want
	})
	return info
}

// taskGone waits until the send task of invitation id is deleted, as asynq does
// with a task that succeeded.
func (e *env) taskGone(tb testing.TB, insp *asynq.Inspector, id string) {
	tb.Helper()
	eventually(tb, "task "+sendTaskID(id)+" done", func() bool {
		_, err := insp.GetTaskInfo(QueueMail, sendTaskID(id))
		return errors.Is(err, asynq.ErrTaskNotFound)
	})
}

// status waits until invitation id has status want and returns it.
func (e *env) status(tb testing.TB, id string, want partnerships.Status) partnerships.Invitation {
	tb.Helper()
	var inv partnerships.Invitation
	eventually(tb, "invitation "+id+" "+string(want), func() bool {
		var err error
		inv, err = e.store.Invitation(context.Background(), id)
		return err == nil && inv.Status == want
	})
	return inv
}

// messages waits for n messages in the sink.
func (e *env) messages(tb testing.TB, n int) []mailsink.Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := e.sink.Wait(ctx, n)
	if err != nil {
		tb.Fatalf("waiting for %d messages: %v (have %d)", n, err, len(e.sink.Messages()))
	}
	return msgs
}

// noMessages fails if the sink holds any message.
func (e *env) noMessages(tb testing.TB) {
	tb.Helper()
	if msgs := e.sink.Messages(); len(msgs) != 0 {
		tb.Errorf("sink holds %d messages, want none; first to %v: %q", len(msgs), msgs[0].To, msgs[0].Subject)
	}
}

// eventually polls cond for up to 10 s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// task returns the invitation:send task of invitation id.
func task(tb testing.TB, id string) *asynq.Task {
	tb.Helper()
	t, err := NewSendInvitationTask(id)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

var inviteLinkRE = regexp.MustCompile(regexp.QuoteMeta(testBase+"/invite/") + `([A-Za-z0-9_-]+)`)

// inviteLink returns the one invite link in text and its token.
func inviteLink(tb testing.TB, text string) (link, token string) {
	tb.Helper()
	m := inviteLinkRE.FindAllStringSubmatch(text, -1)
	if len(m) == 0 {
		tb.Fatalf("no %s/invite/<token> link in:\n%s", testBase, text)
	}
	for _, other := range m[1:] {
		if other[0] != m[0][0] {
			tb.Fatalf("two different invite links: %s and %s", m[0][0], other[0])
		}
	}
	return m[0][0], m[0][1]
}

// checkToken verifies token with e's ring and checks it is inv's.
func (e *env) checkToken(tb testing.TB, token string, inv partnerships.Invitation) {
	tb.Helper()
	c, err := e.ring.Verify(token, tokens.PurposeInvite)
	if err != nil {
		tb.Fatalf("Verify(link token) = %v", err)
	}
	if c.Subject != inv.ID || c.ID != inv.TokenID || c.Recipient != inv.Email || !c.ExpiresAt.Equal(inv.ExpiresAt) {
		tb.Errorf("token claims = {Subject:%s ID:%s Recipient:%s ExpiresAt:%s}, want {%s %s %s %s}",
			c.Subject, c.ID, c.Recipient, c.ExpiresAt, inv.ID, inv.TokenID, inv.Email, inv.ExpiresAt)
	}
}

// smtpReply returns a FailWith function that refuses every recipient with
// code, enhanced code and text.
func smtpReply(code int, enhanced smtp.EnhancedCode, text string) func(string) *smtp.SMTPError {
	return func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: text}
	}
}

// refusal is an SMTP reply refusing every recipient.
type refusal struct {
	name     string
	code     int
	enhanced smtp.EnhancedCode
	text     string
}

// sendRefused runs the sender on a new invitation while the SMTP server answers
// with r, and returns the invitation after and the handler's error.
func (e *env) sendRefused(tb testing.TB, r refusal) (partnerships.Invitation, error) {
	tb.Helper()
	inv := e.invite(tb, partnerships.Reseller, "en")
	e.sink.FailWith(smtpReply(r.code, r.enhanced, r.text))
	defer e.sink.FailWith(nil)
	err := e.sender.ProcessTask(context.Background(), task(tb, inv.ID))
	return e.invitation(tb, inv.ID), err
}

// failTimes returns a FailWith function that refuses the first n recipients with
// reply and accepts the rest.
func failTimes(n int, reply func(string) *smtp.SMTPError) func(string) *smtp.SMTPError {
	var mu sync.Mutex
	return func(rcpt string) *smtp.SMTPError {
		mu.Lock()
		defer mu.Unlock()
		if n <= 0 {
			return nil
		}
		n--
		return reply(rcpt)
	}
}

// testLogger writes to the test log with -v, else (and for benchmarks) nowhere.
func testLogger(tb testing.TB) *slog.Logger {
	if _, bench := tb.(*testing.B); bench || !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
