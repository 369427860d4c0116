package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/tokens"
)

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, configErrorf("--log-level (PARTNERLINK_LOG_LEVEL) %q: must be debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel) // validated in parse
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openRedis connects to the Redis at rawURL (one server, a Sentinel-watched master,
// or a Cluster) for the store and for asynq, and checks that it answers.
func openRedis(ctx context.Context, rawURL string) (redis.UniversalClient, asynq.RedisConnOpt, error) {
	target, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, nil, configErrorf("--redis-url (PARTNERLINK_REDIS_URL): %v; want %s", redactErr(err, rawURL), redisURLForms)
	}
	rdb := target.client()
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("cannot reach Redis at %s: %w", target.addrs(), err)
	}
	if err := checkEvictionAll(pingCtx, rdb, target); err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return rdb, target.connOpt(), nil
}

// checkEviction refuses a Redis that evicts keys under memory pressure: an evicted
// queue or invitation key is a lost invitation or a lost legal record. A server
// that does not let us read its config (some managed services) is taken as is.
func checkEviction(ctx context.Context, rdb redis.Cmdable, addr string) error {
	cfg, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		return nil
	}
	if policy := cfg["maxmemory-policy"]; policy != "" && policy != "noeviction" {
		return fmt.Errorf("Redis at %s has maxmemory-policy %s: it may evict queued invitations and agreement records; "+
			"set maxmemory-policy noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf)", addr, policy)
	}
	return nil
}

// redactErr keeps a password in a URL out of error messages. The user info runs
// from "://" to the last "@" (a password may itself contain "@"), and the message
// may quote the URL with %q, so its quoted form is replaced too.
func redactErr(err error, rawURL string) string {
	msg := err.Error()
	j := strings.Index(rawURL, "://")
	if j < 0 {
		return msg
	}
	rest := rawURL[j+3:]
	i := strings.LastIndex(rest, "@")
	if i <= 0 {
		return msg
	}
	userinfo := rest[:i]
	quoted := strconv.Quote(userinfo)
	msg = strings.ReplaceAll(msg, quoted[1:len(quoted)-1], "…")
	return strings.ReplaceAll(msg, userinfo, "…")
}

func newRing(keys string) (*tokens.Ring, error) {
	k, err := tokens.ParseKeys(keys)
	if err != nil {
		return nil, configErrorf("--token-keys (PARTNERLINK_TOKEN_KEYS): %v", err)
	}
	r, err := tokens.NewRing(k)
	if err != nil {
		return nil, configErrorf("--token-keys (PARTNERLINK_TOKEN_KEYS): %v", err)
	}
	return r, nil
}

func newLinks(base string) (*links.Builder, error) {
	b, err := links.New(base)
	if err != nil {
		return nil, configErrorf("--base-url (PARTNERLINK_BASE_URL): %v", err)
	}
	return b, nil
}

func loadAgreements(dir string) (*agreements.Library, error) {
	if dir == "" {
		return agreements.Sample(), nil
	}
	lib, err := agreements.Load(os.DirFS(dir))
	if err != nil {
		return nil, configErrorf("--agreements-dir (PARTNERLINK_AGREEMENTS_DIR) %s: %v", dir, err)
	}
	return lib, nil
}

// mailerConfig combines the SMTP URL with the sender address.
func mailerConfig(smtpURL, from string, lb *links.Builder) (mailer.Config, error) {
	mc, err := mailer.ParseURL(smtpURL)
	if err != nil {
		return mailer.Config{}, configErrorf("--smtp-url (PARTNERLINK_SMTP_URL): %v", err)
	}
	if from == "" && mc.From == "" {
		from = "partnerlink <noreply@" + lb.Host() + ">"
	}
	if from != "" {
		a, err := mail.ParseAddress(from)
		if err != nil {
			return mailer.Config{}, configErrorf("--mail-from (PARTNERLINK_MAIL_FROM) %q: %v", from, err)
		}
		mc.From, mc.FromName = a.Address, a.Name
	}
	// Check now what mailer.New checks, so that a bad sender is a config error
	// reported before connecting to Redis.
	if err := mc.Validate(); err != nil {
		return mailer.Config{}, configErrorf("--smtp-url / --mail-from: %v", err)
	}
	return mc, nil
}

// messageIDDomain is the domain of the sender address, which Message-IDs are built on.
func messageIDDomain(from string) string {
	_, domain, _ := strings.Cut(from, "@")
	return domain
}
