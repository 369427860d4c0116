package testredis

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a master redis-server watched by one redis-server --sentinel, as
// master name Master.
type Sentinel struct {
	Master  *Server
	Replica *Server // with StartSentinelFailover: the master's replica, promoted when the master dies
	Addr    string  // the sentinel's host:port
	Name    string  // the master's name at the sentinel
	URL     string  // redis-sentinel://host:port/0?master=Name
}

// StartSentinel starts a master and one sentinel watching it (quorum 1) on free
// ports; it returns once the sentinel names the master.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	return startSentinel(tb, false)
}

// StartSentinelFailover starts a master, a replica of it and one sentinel watching
// them (quorum 1) that fails over half a second after the master stops answering;
// it returns once the sentinel knows the replica.
func StartSentinelFailover(tb testing.TB) *Sentinel {
	tb.Helper()
	return startSentinel(tb, true)
}

func startSentinel(tb testing.TB, replica bool) *Sentinel {
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
	host, mport, _ := net.SplitHostPort(master.Addr)
	if replica {
		s.Replica = Start(tb, "--replicaof", host, mport)
	}
	port := freePort(tb)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.URL = "redis-sentinel://" + s.Addr + "/0?master=" + s.Name
	conf := "bind 127.0.0.1\nport " + strconv.Itoa(port) + "\ndir " + dir + "\n" +
		"sentinel monitor " + s.Name + " " + host + " " + mport + " 1\n"
	if replica {
		conf += "sentinel down-after-milliseconds " + s.Name + " 500\n" +
			"sentinel failover-timeout " + s.Name + " 5000\n"
	}
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
		if err == nil && len(addr) == 2 && net.JoinHostPort(addr[0], addr[1]) == master.Addr &&
			(!replica || s.knowsReplica(sc)) {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(dir + "/sentinel.log")
			tb.Fatalf("testredis: sentinel on %s does not name the master: %v %v\n%s", s.Addr, addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// knowsReplica reports whether the sentinel lists s.Replica as a replica of the master.
func (s *Sentinel) knowsReplica(sc *redis.SentinelClient) bool {
	replicas, err := sc.Replicas(context.Background(), s.Name).Result()
	if err != nil {
		return false
	}
	for _, r := range replicas {
		if net.JoinHostPort(r["ip"], r["port"]) == s.Replica.Addr && !strings.Contains(r["flags"], "down") {
			return true
		}
	}
	return false
}

// MasterAddr is the master's address as the sentinel names it now.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer sc.Close()
	addr, err := sc.GetMasterAddrByName(ctx, s.Name).Result()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(addr[0], addr[1]), nil
}
