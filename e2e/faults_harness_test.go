package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// procs runs partnerlink subcommands as processes against one Redis and one SMTP
// sink, each with its own log file (faults).
type procs struct {
	t    *testing.T
	bin  string
	env  []string
	dir  string
	logs []string
	live []*exec.Cmd
}

func newProcs(t *testing.T, bin, redisURL, smtpAddr string, extra ...string) *procs {
	t.Helper()
	key, err := tokens.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PARTNERLINK_REDIS_URL="+redisURL,
		"PARTNERLINK_SMTP_URL=smtp://"+smtpAddr+"?tls=none",
		"PARTNERLINK_BASE_URL=https://partners.example.com",
		"PARTNERLINK_TOKEN_KEYS="+tokens.FormatKeys([]tokens.Key{key}),
		"PARTNERLINK_MAIL_FROM=partnerlink <noreply@partners.example.com>",
		"PARTNERLINK_LOG_FORMAT=json",
		"PARTNERLINK_LOG_LEVEL=info",
	)
	p := &procs{t: t, bin: bin, env: append(env, extra...), dir: t.TempDir()}
	t.Cleanup(func() {
		for _, c := range p.live {
			if c.ProcessState == nil {
				_ = c.Process.Kill()
				_ = c.Wait()
			}
		}
	})
	return p
}

// start runs `partnerlink <args…>`.
func (p *procs) start(args ...string) *exec.Cmd {
	p.t.Helper()
	path := filepath.Join(p.dir, fmt.Sprintf("run-%02d-%s.log", len(p.logs)+1, args[0]))
	f, err := os.Create(path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start partnerlink %v: %v", args, err)
	}
	p.logs = append(p.logs, path)
	p.live = append(p.live, cmd)
	return cmd
}

// stop sends SIGTERM and waits up to bound for exit status 0.
func (p *procs) stop(cmd *exec.Cmd, bound time.Duration) time.Duration {
	p.t.Helper()
	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			p.dump()
			p.t.Errorf("after SIGTERM partnerlink exited with %v, want 0", err)
		}
	case <-time.After(bound):
		_ = cmd.Process.Kill()
		<-exited
		p.dump()
		p.t.Fatalf("partnerlink did not exit within %s of SIGTERM", bound)
	}
	return time.Since(began)
}

func (p *procs) dump() {
	for _, l := range p.logs {
		b, _ := os.ReadFile(l)
		if len(b) > 20000 {
			b = b[len(b)-20000:]
		}
		p.t.Logf("--- %s:\n%s", filepath.Base(l), b)
	}
}

// seedInvitations stores n invitations (one per user u1..un@fabrikam.example of
// one customer) and queues their sends, 8 at a time; it returns their ids.
func seedInvitations(t *testing.T, store *partnerships.Store, redisAddr string, n int) []string {
	t.Helper()
	return seedInvitationsTTL(t, store, redisAddr, n, 14*24*time.Hour)
}

// seedInvitationsTTL is seedInvitations with invitations open for ttl.
func seedInvitationsTTL(t *testing.T, store *partnerships.Store, redisAddr string, n int, ttl time.Duration) []string {
	t.Helper()
	ctx := context.Background()
	partner, _, err := store.CreatePartner(ctx, "Contoso Ltd", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	customer, err := store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: requestUser(1), Name: "U1", Role: partnerships.GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: redisAddr})
	defer client.Close()
	enq := jobs.NewEnqueuer(client)
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if i > 1 {
					if err := store.AddCustomerUser(ctx, partnerships.CustomerUser{
						CustomerID: customer.ID, Email: requestUser(i), Role: partnerships.User}); err != nil {
						errs <- err
						return
					}
				}
				inv, err := store.CreateInvitation(ctx, partnerships.NewInvitation{
					PartnerID: partner.ID, Email: requestUser(i), Type: partnerships.DelegatedAdmin,
					Locale: "en", TTL: ttl,
				})
				if err == nil {
					err = enq.SendInvitationOf(ctx, inv) // as the API queues it
				}
				if err != nil {
					errs <- err
					return
				}
				ids[i-1] = inv.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ids
}

// deliveries counts the sink's messages by Message-ID.
func deliveries(sink *mailsink.Sink) map[string]int {
	n := map[string]int{}
	for _, m := range sink.Messages() {
		n[m.MessageID]++
	}
	return n
}

// startAOFRedis is a redis-server writing every change to its AOF before answering.
func startAOFRedis(t *testing.T) *testredis.Server {
	return testredis.Start(t, "--appendonly", "yes", "--appendfsync", "always")
}

// waitLog waits until run i's log holds want.
func (p *procs) waitLog(i int, want string, bound time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(bound)
	for {
		b, _ := os.ReadFile(p.logs[i])
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			p.dump()
			p.t.Fatalf("run %d did not log %s within %s", i+1, want, bound)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startAll starts one process per subcommand.
func (p *procs) startAll(cmds ...string) []*exec.Cmd {
	p.t.Helper()
	out := make([]*exec.Cmd, len(cmds))
	for i, c := range cmds {
		out[i] = p.start(c)
		p.waitLog(len(p.logs)-1, `"level":"INFO"`, 10*time.Second)
	}
	return out
}
