package testredis

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a real Redis Cluster of several masters (no replicas) for a test.
type Cluster struct {
	Nodes []*Server
	Addrs []string // host:port of every node
	URL   string   // redis-cluster://host1:port,host2:port,…
	tb    testing.TB
}

// StartCluster starts n redis-server processes with --cluster-enabled yes on free
// ports and joins them with redis-cli --cluster create (slots spread evenly, no
// replicas); it returns when every node reports cluster_state:ok.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		tb.Fatalf("testredis: redis-cli is not installed (it comes with redis-server; scripts/test.sh installs it)")
	}
	c := &Cluster{tb: tb}
	for range n {
		s := Start(tb, "--cluster-enabled", "yes", "--cluster-node-timeout", "5000")
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	c.URL = "redis-cluster://" + strings.Join(c.Addrs, ",")
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("testredis: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.Nodes {
		node := redis.NewClient(&redis.Options{Addr: s.Addr})
		for {
			info, err := node.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)) {
				break
			}
			if time.Now().After(deadline) {
				node.Close()
				log, _ := os.ReadFile(s.Dir + "/redis.log")
				tb.Fatalf("testredis: cluster node %s never became ok: %v\n%s\n%s", s.Addr, err, info, log)
			}
			time.Sleep(50 * time.Millisecond)
		}
		node.Close()
	}
	return c
}

// Client returns a go-redis cluster client, closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	c.tb.Cleanup(func() { cc.Close() })
	return cc
}
