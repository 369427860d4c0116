package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// faults: what a crash of the Redis process or of its machine can take.
//
// Agreement acceptances are legal records and queued invitations must not vanish.
// With appendonly yes and appendfsync always, Redis writes and fsyncs each write
// to its AOF before it answers, so an acknowledged acceptance survives a SIGKILL
// of redis-server and a power cut. With appendfsync everysec (Redis's default) a
// SIGKILL still loses nothing acknowledged (the write is in the kernel's page
// cache), but a power cut or kernel crash can take the last second. Without AOF a
// crash takes everything since the last RDB snapshot. Redis 7.2 and later have
// WAITAOF, which would let partnerlink wait for the fsync of its own writes only;
// Debian's Redis is 7.0, so partnerlink relies on appendfsync always instead and
// says so at start.

// durabilityWarning returns why the Redis behind rdb may lose acknowledged
// writes in a crash, or "" when appendonly is yes and appendfsync always. A
// server that does not let us read its config is taken as is ("").
func durabilityWarning(ctx context.Context, rdb redis.UniversalClient) string {
	cfg, err := rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return ""
	}
	aof, fsync := strings.ToLower(cfg["appendonly"]), strings.ToLower(cfg["appendfsync"])
	switch {
	case aof == "" && fsync == "":
		return ""
	case aof != "yes":
		return "Redis has appendonly no: a crash of redis-server loses every acceptance and queued invitation since its last snapshot; " +
			"set appendonly yes and appendfsync always (compose.yaml does)"
	case fsync != "always":
		return "Redis has appendfsync " + fsync + ": a power cut or kernel crash can lose the last second of acceptances and queued invitations; " +
			"set appendfsync always (compose.yaml does)"
	}
	return ""
}

// warnDurability logs durabilityWarning, if any.
func warnDurability(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger) {
	if w := durabilityWarning(ctx, rdb); w != "" {
		log.Warn(w)
	}
}
