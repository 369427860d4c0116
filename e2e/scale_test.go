package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// scaleN is how many invitations TestScaleOut sends: PARTNERLINK_SCALE_N, else
// 1,000 (the 5,000 takes about a minute on a loaded two-core machine; run
// PARTNERLINK_SCALE_N=5000 go test ./e2e -run TestScaleOut).
func scaleN(t *testing.T) int {
	s := os.Getenv("PARTNERLINK_SCALE_N")
	if s == "" {
		return 1000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 10 {
		t.Fatalf("PARTNERLINK_SCALE_N=%q: want a whole number of at least 10", s)
	}
	return n
}

// proc is one partnerlink process the test started.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
}

// startProc runs bin with args and env until the test ends (SIGKILL at the end, as
// the processes are stateless and losing them must not matter).
func startProc(t *testing.T, bin, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(t.TempDir(), name+".log")}
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}

func (p *proc) logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// parallelDo runs f(i) for i in [0, n) on workers goroutines and returns the first error.
func parallelDo(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// TestScaleOut runs the real binary as two `serve` and three `worker` processes on
// one redis-server, creates N invitations through both serves' APIs at once, waits
// until the workers sent them all, and accepts each one through the review page of
// one serve or the other. Every invitation must reach the SMTP server exactly once
// (counted by Message-ID) and be accepted exactly once; a sample is accepted twice
// at the same moment through both serves, and only one of the two wins.
func TestScaleOut(t *testing.T) {
	began := time.Now()
	rs := testredis.Start(t)
	runScaleOut(t, began, rs.URL, rs.Client(), scaleN(t))
}

// TestScaleOutOnCluster is TestScaleOut with 300 invitations on a real three-master
// Redis Cluster (redis-cluster:// URL): the whole application — store, queue, rate
// limits, send pace, delivery records, portal sessions — runs there unchanged.
func TestScaleOutOnCluster(t *testing.T) {
	began := time.Now()
	c := testredis.StartCluster(t, 3)
	runScaleOut(t, began, c.URL, c.Client(), 300)
}

func runScaleOut(t *testing.T, began time.Time, redisURL string, rdb redis.UniversalClient, n int) {
	bin := buildPartnerlink(t)
	store := partnerships.NewStore(rdb)
	ctx := context.Background()

	sink, err := mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0", MaxMessages: 4*n + 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	key, err := tokens.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	partner, apiKey, err := store.CreatePartner(ctx, "Contoso", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	// One customer per invitation, so that each acceptance is a relationship of its own.
	emails := make([]string, n)
	customers := make([]string, n)
	if err := parallelDo(n, 8, func(i int) error {
		emails[i] = fmt.Sprintf("admin@c%05d.example", i)
		c, err := store.CreateCustomer(ctx, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%05d.example", i),
			partnerships.CustomerUser{Email: emails[i], Name: "Admin", Role: partnerships.GlobalAdmin})
		customers[i] = c.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}

	serveAddrs := []string{freeAddr(t), freeAddr(t)}
	base := "http://" + serveAddrs[0] // the links in the emails; the test sends half of them to the other serve
	env := append(os.Environ(),
		"PARTNERLINK_REDIS_URL="+redisURL,
		"PARTNERLINK_BASE_URL="+base,
		"PARTNERLINK_TOKEN_KEYS="+tokens.FormatKeys([]tokens.Key{key}),
		"PARTNERLINK_LOG_FORMAT=json",
		"PARTNERLINK_LOG_LEVEL=warn",
	)
	var procs []*proc
	for i, addr := range serveAddrs {
		procs = append(procs, startProc(t, bin, fmt.Sprintf("serve%d", i+1), env, "serve",
			"--http-addr", addr, "--api-rate", "0", "--link-rate", "0"))
	}
	for i := range 3 {
		procs = append(procs, startProc(t, bin, fmt.Sprintf("worker%d", i+1), env, "worker",
			"--smtp-url", "smtp://"+sink.Addr()+"?tls=none", "--mail-from", "partnerlink <noreply@partnerlink.test>",
			"--concurrency", "20", "--smtp-conns", "4"))
	}
	dump := func() {
		for _, p := range procs {
			t.Logf("--- %s:\n%s", p.name, p.logs())
		}
	}
	httpc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, addr := range serveAddrs {
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := httpc.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				dump()
				t.Fatalf("serve on %s not healthy after 20s: %v", addr, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	setup := time.Since(began)

	// Create: alternately through each serve's API, 16 clients at once.
	start := time.Now()
	ids := make([]string, n)
	if err := parallelDo(n, 16, func(i int) error {
		body := fmt.Sprintf(`{"customer_email":%q,"relationship_type":"reseller","locale":"en"}`, emails[i])
		req, _ := http.NewRequest("POST", "http://"+serveAddrs[i%2]+"/api/v1/invitations", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+apiKey)
		resp, err := httpc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("create %d via serve%d: %d %s", i, i%2+1, resp.StatusCode, raw)
		}
		var out struct{ ID string }
		if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
			return fmt.Errorf("create %d: no id in %s (%v)", i, raw, err)
		}
		ids[i] = out.ID
		return nil
	}); err != nil {
		dump()
		t.Fatal(err)
	}
	created := time.Since(start)

	// Sent: every invitation's message reached the SMTP server.
	want := map[string]string{} // Message-ID → invitation id
	for _, id := range ids {
		want["<invitation."+id+"@partnerlink.test>"] = id
	}
	byMessageID := map[string]mailsink.Message{}
	deadline := time.Now().Add(120 * time.Second)
	for seen := 0; len(byMessageID) < n; {
		msgs := sink.Messages()
		for _, m := range msgs[seen:] {
			if _, ok := want[m.MessageID]; ok {
				byMessageID[m.MessageID] = m
			}
		}
		seen = len(msgs)
		if time.Now().After(deadline) {
			var missing []string
			for mid, id := range want {
				if _, ok := byMessageID[mid]; !ok {
					inv, err := store.Invitation(ctx, id)
					missing = append(missing, fmt.Sprintf("%s (%s, %v)", id, inv.Status, err))
				}
			}
			other := 0
			for _, m := range msgs {
				if _, ok := want[m.MessageID]; !ok {
					other++
				}
			}
			dump()
			t.Fatalf("%d of %d invitations sent after 120s (%d other messages); missing: %v", len(byMessageID), n, other, missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sent := time.Since(start)

	// Accept each one through its link, on serve 1 or serve 2; 16 people at once.
	// Every 50th is accepted twice at once, through both serves.
	links := make([]string, n)
	for i, id := range ids {
		m, ok := byMessageID["<invitation."+id+"@partnerlink.test>"]
		if !ok {
			t.Fatalf("no message for invitation %s", id)
		}
		if links[i] = linkRE.FindString(m.Text); !strings.HasPrefix(links[i], base+"/invite/") {
			t.Fatalf("invitation %s: link %q does not start with %s/invite/", id, links[i], base)
		}
	}
	var doubles, doubleWins atomic.Int64
	acceptStart := time.Now()
	if err := parallelDo(n, 16, func(i int) error {
		if i%50 == 0 {
			doubles.Add(1)
			codes := make([]int, 2)
			errs := make([]error, 2)
			forms := make([]url.Values, 2)
			clients := make([]*http.Client, 2)
			for j := range 2 {
				clients[j] = newPerson(httpc)
				if forms[j], errs[j] = reviewForm(clients[j], onServe(links[i], base, serveAddrs[j])); errs[j] != nil {
					return errs[j]
				}
			}
			var wg sync.WaitGroup
			for j := range 2 {
				wg.Go(func() {
					codes[j], errs[j] = postAccept(clients[j], onServe(links[i], base, serveAddrs[j]), forms[j])
				})
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				return fmt.Errorf("double accept %d: %v, %v", i, errs[0], errs[1])
			}
			if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
				return fmt.Errorf("double accept of %s: status codes %v, want one 200 and one 409", ids[i], codes)
			}
			doubleWins.Add(1)
			return nil
		}
		c := newPerson(httpc)
		link := onServe(links[i], base, serveAddrs[i%2])
		form, err := reviewForm(c, link)
		if err != nil {
			return err
		}
		code, err := postAccept(c, link, form)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("accept %s via serve%d: status %d", ids[i], i%2+1, code)
		}
		return nil
	}); err != nil {
		dump()
		t.Fatal(err)
	}
	accepted := time.Since(acceptStart)

	// Exactly once, by the SMTP server's count and by the store.
	count := map[string]int{}
	for _, m := range sink.Messages() {
		count[m.MessageID]++
	}
	for _, id := range ids {
		if c := count["<invitation."+id+"@partnerlink.test>"]; c != 1 {
			t.Errorf("invitation %s reached the SMTP server %d times, want once", id, c)
		}
	}
	if err := parallelDo(n, 8, func(i int) error {
		inv, err := store.Invitation(ctx, ids[i])
		if err != nil {
			return err
		}
		if inv.Status != partnerships.StatusAccepted || inv.PartnerID != partner.ID {
			return fmt.Errorf("invitation %s: status %s, partner %s", ids[i], inv.Status, inv.PartnerID)
		}
		accs, err := store.Acceptances(ctx, customers[i])
		if err != nil {
			return err
		}
		if len(accs) != 1 || accs[0].InvitationID != ids[i] {
			return fmt.Errorf("customer %s has %d acceptances %+v, want one of %s", customers[i], len(accs), accs, ids[i])
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	// No process logged an error (on a cluster: no cross-slot refusal anywhere).

	// Warnings are listed, for a person to read.
	for _, p := range procs {
		for line := range strings.Lines(p.logs()) {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("%s logged an error: %s", p.name, line)
			} else if strings.Contains(line, `"level":"WARN"`) {
				t.Logf("%s warned: %s", p.name, strings.TrimSpace(line))
			}
		}
	}
	t.Logf("%d invitations, 2 serve + 3 worker processes: setup %s, created in %s (%.0f/s), all sent after %s (%.0f/s), "+
		"accepted in %s (%.0f/s), %d accepted twice at once with one winner each",
		n, setup.Round(time.Millisecond), created.Round(time.Millisecond), float64(n)/created.Seconds(),
		sent.Round(time.Millisecond), float64(n)/sent.Seconds(), accepted.Round(time.Millisecond),
		float64(n)/accepted.Seconds(), doubleWins.Load())
}

// newPerson is a browser with its own cookies over the shared transport.
func newPerson(c *http.Client) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: c.Timeout, Transport: c.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// onServe points link at the serve listening on addr.
func onServe(link, base, addr string) string {
	return "http://" + addr + strings.TrimPrefix(link, base)
}

// reviewForm opens the review page and returns its accept form, box ticked.
func reviewForm(c *http.Client, link string) (url.Values, error) {
	resp, err := c.Get(link)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", link, resp.StatusCode)
	}
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(string(page), -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("csrf") == "" {
		return nil, fmt.Errorf("GET %s: no csrf field", link)
	}
	v.Set("agree", "yes")
	return v, nil
}

func postAccept(c *http.Client, link string, form url.Values) (int, error) {
	resp, err := c.PostForm(link+"/accept", form)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
