package partnerships

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Round trips. Each command sent on its own waits for its answer: a write and a
// read syscall on both sides, and an epoll wake-up. The store puts independent
// commands of one operation into one pipeline instead (on a Redis Cluster,
// go-redis sends each node its share of a pipeline, at once).

// orderedPipelines reports whether a pipeline's commands run in the order they
// were queued: on one server (a redis.Client, also the master a Sentinel names)
// they do, one after the other on one connection. A ClusterClient sends each node
// its share concurrently, so commands for different nodes may run in any order:
// a write that must come before a script then needs its own round trip.
func (s *Store) orderedPipelines() bool {
	_, ok := s.rdb.(*redis.Client)
	return ok
}

// queueScript queues sc on pipeline p as EVALSHA (with or without its flags, as
// run). Read its answer with scriptReply.
func (s *Store) queueScript(ctx context.Context, p redis.Pipeliner, sc *script, keys []string, args ...any) *redis.Cmd {
	if s.observe != nil {
		s.observe(sc.name, keys)
	}
	run := sc.flagged
	if s.plainScripts {
		run = sc.plain
	}
	return run.EvalSha(ctx, p, keys, args...)
}

// scriptReply is the answer of a script queued by queueScript, as run returns it.
// When Redis did not know the script (NOSCRIPT: it was restarted or flushed) the
// script did not run, and scriptReply runs it now with run, which loads it.
func (s *Store) scriptReply(ctx context.Context, cmd *redis.Cmd, sc *script, keys []string, args ...any) (reply, error) {
	v, err := cmd.Slice()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		return s.run(ctx, sc, keys, args...)
	}
	return sc.reply(v, err)
}
