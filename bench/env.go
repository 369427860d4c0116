package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// env is everything a run starts: redis-server, the SMTP sink, the partnerlink
// binary and its serve and worker processes, and the shared seed data.
type env struct {
	o          options
	log        *slog.Logger
	dir        string
	bin        string
	redisPort  int
	redisCmd   *exec.Cmd
	rdb        *redis.Client
	store      *partnerships.Store
	sink       *mailsink.Sink
	keys       string // --token-keys
	ring       *tokens.Ring
	httpAddr   string
	base       string
	serve      *exec.Cmd
	worker     *exec.Cmd
	partner    partnerships.Partner
	apiKey     string
	adminEmail string
	pprof      map[string]string // process name → pprof address, with -profile
	args       map[string][]string
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func newEnv(ctx context.Context, o options, log *slog.Logger) (*env, error) {
	e := &env{o: o, log: log}
	var err error
	if e.dir, err = os.MkdirTemp("", "partnerlink-bench-"); err != nil {
		return nil, err
	}
	if err := e.startRedis(ctx); err != nil {
		return e, err
	}
	if e.sink, err = mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0", CountOnly: true}); err != nil {
		return e, fmt.Errorf("start the SMTP sink: %w", err)
	}
	key, err := tokens.GenerateKey("b1")
	if err != nil {
		return e, err
	}
	e.keys = tokens.FormatKeys([]tokens.Key{key})
	if e.ring, err = tokens.NewRing([]tokens.Key{key}); err != nil {
		return e, err
	}
	return e, nil
}

func (e *env) startRedis(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	e.redisPort = port
	cmd := exec.CommandContext(ctx, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction", "--dir", e.dir,
		"--logfile", filepath.Join(e.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	e.redisCmd = cmd
	e.rdb = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), PoolSize: 256})
	deadline := time.Now().Add(10 * time.Second)
	for e.rdb.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			return errors.New("redis-server did not answer PING within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.store = partnerships.NewStore(e.rdb)
	return nil
}

func (e *env) redisURL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", e.redisPort) }

// build compiles ./cmd/partnerlink of this module into the temporary directory.
func (e *env) build(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	e.bin = filepath.Join(e.dir, "partnerlink")
	args := []string{"build", "-o", e.bin}
	if e.o.profileDir != "" {
		args = append(args, "-tags", "benchpprof")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/partnerlink")...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/partnerlink: %w\n%s", err, b)
	}
	return nil
}

// startProcesses seeds a partner and a customer and starts serve and worker.
func (e *env) startProcesses(ctx context.Context) error {
	var err error
	if e.partner, e.apiKey, err = e.store.CreatePartner(ctx, "Contoso Partners Ltd", "partners@contoso.example"); err != nil {
		return fmt.Errorf("seed partner: %w", err)
	}
	e.adminEmail = "admin@fabrikam.example"
	if _, err := e.store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: e.adminEmail, Name: "Ada", Role: partnerships.GlobalAdmin}); err != nil {
		return fmt.Errorf("seed customer: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	e.httpAddr = fmt.Sprintf("127.0.0.1:%d", port)
	e.base = "http://" + e.httpAddr
	common := []string{"--redis-url", e.redisURL(), "--base-url", e.base, "--token-keys", e.keys, "--log-level", "warn"}
	e.serve, err = e.start(ctx, "serve", append([]string{"serve", "--http-addr", e.httpAddr, "--api-rate", "0", "--link-rate", "0"}, common...))
	if err != nil {
		return err
	}
	wargs := append([]string{"worker", "--smtp-url", "smtp://" + e.sink.Addr() + "?tls=none",
		"--mail-from", "partnerlink <noreply@partnerlink.example>"}, common...)
	if e.o.concurrency > 0 {
		wargs = append(wargs, "--concurrency", strconv.Itoa(e.o.concurrency))
	}
	if e.o.smtpConns > 0 {
		wargs = append(wargs, "--smtp-conns", strconv.Itoa(e.o.smtpConns))
	}
	if e.worker, err = e.start(ctx, "worker", wargs); err != nil {
		return err
	}
	e.args = map[string][]string{"serve": e.serve.Args[1:], "worker": wargs}
	return e.waitListening()
}

// restart stops serve and worker (SIGINT, as an operator would) and starts them
// again with the same settings.
func (e *env) restart(ctx context.Context) error {
	for _, c := range []*exec.Cmd{e.serve, e.worker} {
		_ = c.Process.Signal(os.Interrupt)
		_ = c.Wait()
	}
	var err error
	if e.serve, err = e.start(ctx, "serve2", e.args["serve"]); err != nil {
		return err
	}
	if e.worker, err = e.start(ctx, "worker2", e.args["worker"]); err != nil {
		return err
	}
	return e.waitListening()
}

func (e *env) waitListening() error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", e.httpAddr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("serve did not listen on %s within 15 s (see %s)", e.httpAddr, filepath.Join(e.dir, "serve.log"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) start(ctx context.Context, name string, args []string) (*exec.Cmd, error) {
	f, err := os.Create(filepath.Join(e.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	argv := append([]string{e.bin}, args...)
	if strings.HasPrefix(name, "worker") {
		if n := e.o.workerNice; n != 0 {
			argv = append([]string{"nice", "-n", strconv.Itoa(n)}, argv...)
		}
		if e.o.workerIdle {
			// SCHED_IDLE: the worker runs only on CPU time nothing else wants.
			argv = append([]string{"chrt", "--idle", "0"}, argv...)
		}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = os.Environ()
	if n := e.o.workerProcs; n > 0 && strings.HasPrefix(name, "worker") {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(n))
	}
	if e.o.profileDir != "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		if e.pprof == nil {
			e.pprof = map[string]string{}
		}
		e.pprof[name] = fmt.Sprintf("127.0.0.1:%d", port)
		cmd.Env = append(cmd.Env, "PARTNERLINK_BENCH_PPROF="+e.pprof[name])
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start partnerlink %s: %w", name, err)
	}
	return cmd, nil
}

func (e *env) close() {
	for _, c := range []*exec.Cmd{e.serve, e.worker} {
		if c != nil && c.Process != nil {
			_ = c.Process.Signal(os.Interrupt)
		}
	}
	for _, c := range []*exec.Cmd{e.serve, e.worker} {
		if c != nil && c.Process != nil {
			_ = c.Wait()
		}
	}
	if e.sink != nil {
		_ = e.sink.Close()
	}
	if e.rdb != nil {
		_ = e.rdb.Close()
	}
	if e.redisCmd != nil && e.redisCmd.Process != nil {
		_ = e.redisCmd.Process.Kill()
		_ = e.redisCmd.Wait()
	}
	if e.dir != "" && !e.o.keep {
		_ = os.RemoveAll(e.dir)
	} else if e.dir != "" {
		fmt.Fprintln(os.Stderr, "bench: logs kept in", e.dir)
	}
}

// rssKiB is a process's resident memory (VmRSS in /proc/<pid>/status).
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS line")
}

// redisUsedMemory is INFO memory's used_memory in bytes.
func (e *env) redisUsedMemory(ctx context.Context) (int64, error) {
	info, err := e.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}

// profile, with -profile, records a CPU profile of process name for d into
// DIR/name-label.pprof in the background; wait for it with the returned func.
func (e *env) profile(ctx context.Context, name, label string, d time.Duration) func() {
	addr := e.pprof[name]
	if addr == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(d.Seconds()))
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.log.Warn("profile", "process", name, "err", err)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			e.log.Warn("profile", "process", name, "status", resp.Status, "err", err)
			return
		}
		path := filepath.Join(e.o.profileDir, name+"-"+label+".pprof")
		if err := os.WriteFile(path, b, 0o644); err == nil {
			e.log.Info("profile written", "path", path)
		}
	}()
	return func() { <-done }
}
