// Package testredis starts a real redis-server for a test: on a free loopback port,
// in the test's temporary directory, stopped when the test ends. Setting
// PARTNERLINK_TEST_REDIS_URL uses that server instead (its database is flushed first;
// run such suites with -p 1).
package testredis

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server a test talks to.
type Server struct {
	Addr string // host:port
	URL  string // redis://host:port/0
	Dir  string // its working directory (AOF, RDB); empty for an external server

	tb   testing.TB
	args []string
	cmd  *exec.Cmd
}

// Start returns a running redis-server for tb. Extra args go to redis-server as they
// are, e.g. "--appendonly", "yes".
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	if u := os.Getenv("PARTNERLINK_TEST_REDIS_URL"); u != "" && len(args) == 0 {
		opt, err := redis.ParseURL(u)
		if err != nil {
			tb.Fatalf("testredis: PARTNERLINK_TEST_REDIS_URL: %v", err)
		}
		c := redis.NewClient(opt)
		defer c.Close()
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			tb.Fatalf("testredis: flush %s: %v", u, err)
		}
		return &Server{Addr: opt.Addr, URL: u, tb: tb}
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("testredis: redis-server is not installed; run the README's test command (scripts/test.sh installs it) or set PARTNERLINK_TEST_REDIS_URL")
	}
	if slices.Contains(args, "--cluster-enabled") && !slices.Contains(args, "--cluster-port") {
		// The cluster bus defaults to port+10000, which may be taken: choose it too (scale).
		args = append(slices.Clip(args), "--cluster-port", strconv.Itoa(freePort(tb)))
	}
	s := &Server{Dir: tb.TempDir(), tb: tb, args: args}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(tb)))
	s.URL = "redis://" + s.Addr + "/0"
	s.start(bin)
	tb.Cleanup(s.Kill)
	return s
}

func (s *Server) start(bin string) {
	s.tb.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	args := append([]string{
		"--bind", "127.0.0.1", "--port", port, "--dir", s.Dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "yes",
		"--maxmemory-policy", "noeviction", "--loglevel", "warning",
	}, s.args...)
	cmd := exec.Command(bin, args...)
	out, err := os.Create(s.Dir + "/redis.log")
	if err != nil {
		s.tb.Fatalf("testredis: %v", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("testredis: start redis-server: %v", err)
	}
	s.cmd = cmd
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return
		} else if time.Now().After(deadline) {
			log, _ := os.ReadFile(s.Dir + "/redis.log")
			s.tb.Fatalf("testredis: redis-server on %s did not answer: %v\n%s", s.Addr, err, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Client returns a go-redis client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.tb.Cleanup(func() { c.Close() })
	return c
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port and directory, after Kill.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.Dir == "" {
		s.tb.Fatalf("testredis: cannot restart an external server")
	}
	s.Kill()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		s.tb.Fatalf("testredis: %v", err)
	}
	s.start(bin)
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testredis: %v", fmt.Errorf("find a free port: %w", err))
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
