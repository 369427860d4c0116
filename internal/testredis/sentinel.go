package testredis

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a master redis-server watched by one redis-server --sentinel, as
// master name Master.
type Sentinel struct {
	Master *Server
	Addr   string // the sentinel's host:port
	Name   string // the master's name at the sentinel
	URL    string // redis-sentinel://host:port/0?master=Name
}

// StartSentinel starts a master and one sentinel watching it (quorum 1) on free
// ports; it returns once the sentinel names the master.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	master := Start(tb)
	if master.Dir == "" {
		tb.Fatalf("testredis: StartSentinel needs its own redis-server; unset PARTNERLINK_TEST_REDIS_URL")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("testredis: %v", err)
	}
	dir := tb.TempDir()
	s := &Sentinel{Master: master, Name: "mymaster"}
	port := freePort(tb)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.URL = "redis-sentinel://" + s.Addr + "/0?master=" + s.Name
	host, mport, _ := net.SplitHostPort(master.Addr)
	conf := "bind 127.0.0.1\nport " + strconv.Itoa(port) + "\ndir " + dir + "\n" +
		"sentinel monitor " + s.Name + " " + host + " " + mport + " 1\n"
	if err := os.WriteFile(dir+"/sentinel.conf", []byte(conf), 0o600); err != nil {
		tb.Fatalf("testredis: %v", err)
	}
	out, err := os.Create(dir + "/sentinel.log")
	if err != nil {
		tb.Fatalf("testredis: %v", err)
	}
	cmd := exec.Command(bin, dir+"/sentinel.conf", "--sentinel")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("testredis: start sentinel: %v", err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer sc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		addr, err := sc.GetMasterAddrByName(context.Background(), s.Name).Result()
		if err == nil && len(addr) == 2 && net.JoinHostPort(addr[0], addr[1]) == master.Addr {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(dir + "/sentinel.log")
			tb.Fatalf("testredis: sentinel on %s does not name the master: %v %v\n%s", s.Addr, addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
