package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// redisURLForms is the help text for --redis-url (PARTNERLINK_REDIS_URL).
const redisURLForms = "redis://[user:pass@]host:port/db (rediss:// for TLS), " +
	"redis-sentinel://[user:pass@]host1:26379,host2:26379/db?master=NAME[&username=U&password=P] (rediss-sentinel:// for TLS), " +
	"redis-cluster://[user:pass@]host1:6379,host2:6379 (rediss-cluster:// for TLS)"

// redisTarget is one parsed --redis-url: the options for go-redis (the store, rate
// limits, pace, locks) and for asynq (the queue), which always point at the same
// servers with the same credentials.
type redisTarget struct {
	kind     string // "redis", "sentinel" or "cluster"
	single   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

// addrs names the servers, for messages (never with a password).
func (t redisTarget) addrs() string {
	switch t.kind {
	case "sentinel":
		return "sentinels " + strings.Join(t.failover.SentinelAddrs, ",") + " (master " + t.failover.MasterName + ")"
	case "cluster":
		return "cluster " + strings.Join(t.cluster.Addrs, ",")
	}
	return t.single.Addr
}

// client opens the go-redis client.
func (t redisTarget) client() redis.UniversalClient {
	switch t.kind {
	case "sentinel":
		return redis.NewFailoverClient(t.failover)
	case "cluster":
		return redis.NewClusterClient(t.cluster)
	}
	return redis.NewClient(t.single)
}

// connOpt is the matching asynq connection.
func (t redisTarget) connOpt() asynq.RedisConnOpt {
	switch t.kind {
	case "sentinel":
		f := t.failover
		return asynq.RedisFailoverClientOpt{MasterName: f.MasterName, SentinelAddrs: f.SentinelAddrs,
			SentinelUsername: f.SentinelUsername, SentinelPassword: f.SentinelPassword,
			Username: f.Username, Password: f.Password, DB: f.DB, TLSConfig: f.TLSConfig}
	case "cluster":
		c := t.cluster
		return asynq.RedisClusterClientOpt{Addrs: c.Addrs, Username: c.Username, Password: c.Password, TLSConfig: c.TLSConfig}
	}
	o := t.single
	return asynq.RedisClientOpt{Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig}
}

// parseRedisURL reads --redis-url. Errors never contain the password.
func parseRedisURL(raw string) (redisTarget, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return redisTarget{}, errors.New("no scheme")
	}
	switch scheme {
	case "redis", "rediss":
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return redisTarget{}, err
		}
		return redisTarget{kind: "redis", single: opt}, nil
	case "redis-sentinel", "rediss-sentinel":
		return parseSentinelURL(raw, scheme == "rediss-sentinel")
	case "redis-cluster", "rediss-cluster":
		return parseClusterURL(raw, scheme == "rediss-cluster")
	}
	return redisTarget{}, fmt.Errorf("unknown scheme %q", scheme)
}

// splitHosts reads "host1:port,host2:port" (an empty port or none means def).
func splitHosts(hosts string, def int) ([]string, error) {
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return nil, errors.New("empty host in the host list")
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = h, ""
		}
		if port == "" {
			port = strconv.Itoa(def)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("host %s: bad port %q", host, port)
		}
		if host == "" {
			return nil, fmt.Errorf("no host before port %s", port)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	return addrs, nil
}

// parseMulti parses a URL whose host part is a comma-separated list. url.Parse
// refuses some lists ("a:1,b" has the port "1,b"), so the list is cut out first and
// the rest parsed with a placeholder host.
func parseMulti(raw string, def int) (*url.URL, []string, error) {
	scheme, rest, _ := strings.Cut(raw, "://")
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hosts := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	u, err := url.Parse(scheme + "://" + userinfo + "placeholder" + tail)
	if err != nil {
		return nil, nil, errors.New("cannot parse the URL")
	}
	if hosts == "" {
		return nil, nil, errors.New("no host")
	}
	addrs, err := splitHosts(hosts, def)
	if err != nil {
		return nil, nil, err
	}
	return u, addrs, nil
}

func parseDB(path string) (int, error) {
	p := strings.Trim(path, "/")
	if p == "" {
		return 0, nil
	}
	db, err := strconv.Atoi(p)
	if err != nil || db < 0 {
		return 0, fmt.Errorf("database %q: want a number", p)
	}
	return db, nil
}

func parseSentinelURL(raw string, useTLS bool) (redisTarget, error) {
	u, addrs, err := parseMulti(raw, 26379)
	if err != nil {
		return redisTarget{}, err
	}
	db, err := parseDB(u.Path)
	if err != nil {
		return redisTarget{}, err
	}
	o := &redis.FailoverOptions{SentinelAddrs: addrs, DB: db}
	o.SentinelUsername = u.User.Username()
	o.SentinelPassword, _ = u.User.Password()
	q := u.Query()
	for k := range q {
		switch k {
		case "master", "username", "password":
		default:
			return redisTarget{}, fmt.Errorf("unknown parameter %q (want master, username, password)", k)
		}
	}
	o.MasterName = q.Get("master")
	if o.MasterName == "" {
		return redisTarget{}, errors.New("no ?master=NAME: which master the sentinels watch")
	}
	o.Username, o.Password = q.Get("username"), q.Get("password")
	if o.Password == "" {
		// One password for sentinels and master is the common setup.
		o.Username, o.Password = o.SentinelUsername, o.SentinelPassword
	}
	if useTLS {
		host, _, _ := net.SplitHostPort(addrs[0])
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return redisTarget{kind: "sentinel", failover: o}, nil
}

func parseClusterURL(raw string, useTLS bool) (redisTarget, error) {
	u, addrs, err := parseMulti(raw, 6379)
	if err != nil {
		return redisTarget{}, err
	}
	if db, err := parseDB(u.Path); err != nil || db != 0 {
		return redisTarget{}, fmt.Errorf("database %q: Redis Cluster has only database 0", strings.Trim(u.Path, "/"))
	}
	if u.RawQuery != "" {
		return redisTarget{}, fmt.Errorf("unknown parameters %q", u.RawQuery)
	}
	o := &redis.ClusterOptions{Addrs: addrs}
	o.Username = u.User.Username()
	o.Password, _ = u.User.Password()
	if useTLS {
		host, _, _ := net.SplitHostPort(addrs[0])
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return redisTarget{kind: "cluster", cluster: o}, nil
}

// checkEvictionAll runs checkEviction on every server that holds data: the one
// server, the master behind the sentinels, or every master of the cluster.
func checkEvictionAll(ctx context.Context, rdb redis.UniversalClient, t redisTarget) error {
	if c, ok := rdb.(*redis.ClusterClient); ok {
		return c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return checkEviction(ctx, node, "cluster node "+node.Options().Addr)
		})
	}
	return checkEviction(ctx, rdb, t.addrs())
}
