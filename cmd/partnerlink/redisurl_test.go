package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestParseRedisURL: every --redis-url form gives go-redis and asynq the same
// servers and credentials; bad URLs say what is wrong without the password.
func TestParseRedisURL(t *testing.T) {
	for _, tc := range []struct {
		url   string
		kind  string
		addrs []string
		want  asynq.RedisConnOpt
	}{
		{"redis://127.0.0.1:6379/0", "redis", []string{"127.0.0.1:6379"},
			asynq.RedisClientOpt{Network: "tcp", Addr: "127.0.0.1:6379"}},
		{"redis://app:s3cret@redis.internal:6380/2", "redis", []string{"redis.internal:6380"},
			asynq.RedisClientOpt{Network: "tcp", Addr: "redis.internal:6380", Username: "app", Password: "s3cret", DB: 2}},
		{"redis-sentinel://s1:26379,s2:26380,s3/1?master=mymaster", "sentinel", []string{"s1:26379", "s2:26380", "s3:26379"},
			asynq.RedisFailoverClientOpt{MasterName: "mymaster", SentinelAddrs: []string{"s1:26379", "s2:26380", "s3:26379"}, DB: 1}},
		{"redis-sentinel://:pw@s1,s2:1?master=m", "sentinel", []string{"s1:26379", "s2:1"},
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s1:26379", "s2:1"}, SentinelPassword: "pw", Password: "pw"}},
		{"redis-sentinel://:sentpw@s1?master=m&username=app&password=datapw", "sentinel", []string{"s1:26379"},
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s1:26379"}, SentinelPassword: "sentpw", Username: "app", Password: "datapw"}},
		{"redis-cluster://n1:7000,n2:7001,n3", "cluster", []string{"n1:7000", "n2:7001", "n3:6379"},
			asynq.RedisClusterClientOpt{Addrs: []string{"n1:7000", "n2:7001", "n3:6379"}}},
		{"redis-cluster://app:p%40ss@n1:7000/", "cluster", []string{"n1:7000"},
			asynq.RedisClusterClientOpt{Addrs: []string{"n1:7000"}, Username: "app", Password: "p@ss"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			target, err := parseRedisURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if target.kind != tc.kind {
				t.Errorf("kind = %s, want %s", target.kind, tc.kind)
			}
			var addrs []string
			switch c := target.client().(type) {
			case *redis.Client:
				if tc.kind == "sentinel" {
					addrs = target.failover.SentinelAddrs // a failover client is a *redis.Client
				} else {
					addrs = []string{c.Options().Addr}
				}
				c.Close()
			case *redis.ClusterClient:
				addrs = c.Options().Addrs
				c.Close()
			}
			if !cmp.Equal(addrs, tc.addrs) {
				t.Errorf("go-redis addrs = %v, want %v", addrs, tc.addrs)
			}
			if diff := cmp.Diff(tc.want, target.connOpt()); diff != "" {
				t.Errorf("asynq option (-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct{ url, want string }{
		{"localhost:6379", "no scheme"},
		{"http://localhost", `unknown scheme "http"`},
		{"redis-sentinel://s1:26379", "no ?master=NAME"},
		{"redis-sentinel://s1:26379/x?master=m", `database "x"`},
		{"redis-sentinel://s1?master=m&db=3", `unknown parameter "db"`},
		{"redis-cluster://n1:7000/3", "only database 0"},
		{"redis-cluster://n1:7000,,n2", "empty host"},
		{"redis-cluster://n1:99999", `bad port "99999"`},
		{"redis-cluster://n1?read_only=true", "unknown parameters"},
		{"redis-cluster://", "no host"},
	} {
		if _, err := parseRedisURL(tc.url); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseRedisURL(%q) = %v, want an error with %q", tc.url, err, tc.want)
		}
	}
	// The password stays out of the message.
	_, _, err := openRedis(context.Background(), "redis-sentinel://:hunter2@s1")
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "redis-cluster://") {
		t.Errorf("openRedis error = %v; want the URL forms, without the password", err)
	}
}

// roundTrip checks that openRedis's client and asynq option reach the same Redis:
// the store writes and reads a partner, and asynq enqueues and processes a task.
func roundTrip(t *testing.T, url string) {
	t.Helper()
	ctx := t.Context()
	rdb, connOpt, err := openRedis(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	store := partnerships.NewStore(rdb)
	p, _, err := store.CreatePartner(ctx, "Contoso", "sales@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.Partner(ctx, p.ID); err != nil || got.Name != "Contoso" {
		t.Fatalf("Partner = %+v, %v", got, err)
	}

	done := make(chan string, 1)
	srv := asynq.NewServer(connOpt, asynq.Config{Concurrency: 1, Queues: map[string]int{"mail": 1},
		LogLevel: asynq.WarnLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("scale:ping", func(_ context.Context, task *asynq.Task) error {
		done <- string(task.Payload())
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	client := asynq.NewClient(connOpt)
	defer client.Close()
	if _, err := client.Enqueue(asynq.NewTask("scale:ping", []byte(p.ID)), asynq.Queue("mail")); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if got != p.ID {
			t.Errorf("task payload = %q, want %q", got, p.ID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the task was not processed within 20s")
	}
}

// TestRedisSentinel: a redis-sentinel:// URL reaches the master the sentinel names,
// for the store and for the queue.
func TestRedisSentinel(t *testing.T) {
	s := testredis.StartSentinel(t)
	roundTrip(t, s.URL)
	master := s.Master.Client()
	if n, err := master.DBSize(t.Context()).Result(); err != nil || n == 0 {
		t.Errorf("master holds %d keys, %v; want the store's and queue's keys there", n, err)
	}
	// The eviction check reaches the master through the sentinel.
	if err := master.ConfigSet(t.Context(), "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err := openRedis(t.Context(), s.URL)
	if err == nil || !strings.Contains(err.Error(), "allkeys-lru") || !strings.Contains(err.Error(), "master mymaster") {
		t.Errorf("openRedis with an evicting master = %v; want a refusal naming the master", err)
	}
}

// TestRedisCluster: a redis-cluster:// URL works on a three-master cluster for the
// store and the queue, and the eviction check looks at every master.
func TestRedisCluster(t *testing.T) {
	c := testredis.StartCluster(t, 3)
	roundTrip(t, c.URL)

	last := c.Nodes[2].Client()
	if err := last.ConfigSet(t.Context(), "maxmemory-policy", "volatile-lru").Err(); err != nil {
		t.Fatal(err)
	}
	_, _, err := openRedis(t.Context(), c.URL)
	if err == nil || !strings.Contains(err.Error(), c.Nodes[2].Addr) || !strings.Contains(err.Error(), "volatile-lru") {
		t.Errorf("openRedis with one evicting master = %v; want a refusal naming %s", err, c.Nodes[2].Addr)
	}
}

// TestRedisSentinelFailover: when the master dies, the sentinel promotes its
// replica, and the store and the queue, reached through the redis-sentinel:// URL,
// carry on against the new master without a restart; what was written before the
// failover (and replicated) is still there.
func TestRedisSentinelFailover(t *testing.T) {
	s := testredis.StartSentinelFailover(t)
	ctx := t.Context()
	rdb, connOpt, err := openRedis(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	store := partnerships.NewStore(rdb)
	before, _, err := store.CreatePartner(ctx, "Contoso", "sales@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	// The replica has it before the master goes.
	waitFor(t, 10*time.Second, "the replica to hold the master's keys", func() bool {
		m, err1 := s.Master.Client().DBSize(ctx).Result()
		r, err2 := s.Replica.Client().DBSize(ctx).Result()
		return err1 == nil && err2 == nil && m > 0 && r == m
	})

	s.Master.Kill()
	killed := time.Now()
	deadline := killed.Add(30 * time.Second)
	for {
		addr, err := s.MasterAddr(ctx)
		if err == nil && addr == s.Replica.Addr {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentinel did not promote the replica within 30 s: master %s, %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	promoted := time.Since(killed)
	// The first command after the failover may still meet the dead master's
	// connections; go-redis's failover client then asks the sentinel again.
	var after partnerships.Partner
	for {
		after, _, err = store.CreatePartner(ctx, "Fabrikam Partners", "sales@fabrikam.example")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not write to the new master: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("master killed: replica promoted after %v, first write to it after %v", promoted.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	for _, p := range []partnerships.Partner{before, after} {
		if got, err := store.Partner(ctx, p.ID); err != nil || got.Name != p.Name {
			t.Errorf("after the failover, Partner(%s) = %+v, %v", p.ID, got, err)
		}
	}
	if role, err := s.Replica.Client().Do(ctx, "ROLE").Slice(); err != nil || len(role) == 0 || role[0] != "master" {
		t.Errorf("the replica's ROLE = %v, %v; want master", role, err)
	}
	// The queue works on the new master: through the option made before the
	// failover, and connected afresh through the same URL.
	client := asynq.NewClient(connOpt)
	defer client.Close()
	if _, err := client.Enqueue(asynq.NewTask("failover:ping", nil), asynq.Queue("failover")); err != nil {
		t.Errorf("enqueue through the option made before the failover: %v", err)
	}
	insp := asynq.NewInspector(connOpt)
	defer insp.Close()
	if q, err := insp.GetQueueInfo("failover"); err != nil || q.Pending != 1 {
		t.Errorf("queue failover after the enqueue: %+v, %v; want 1 pending", q, err)
	}
	roundTrip(t, s.URL)
}

// waitFor polls cond every 50 ms until it holds or d has passed.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
