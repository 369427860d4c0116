package testredis

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RoundTrips counts the round trips a go-redis client makes to Redis: a command
// sent on its own is one, a pipeline or a MULTI/EXEC transaction is one (on a
// Redis Cluster, one per call however many nodes it spans). A script run is one
// (two when EVALSHA misses and EVAL follows). Safe for concurrent use.
type RoundTrips struct{ n atomic.Int64 }

// CountRoundTrips adds a hook to rdb that counts its round trips from now on.
func CountRoundTrips(rdb redis.UniversalClient) *RoundTrips {
	rt := &RoundTrips{}
	rdb.AddHook(rt)
	return rt
}

// Reset starts the count again at zero.
func (rt *RoundTrips) Reset() { rt.n.Store(0) }

// N returns the round trips counted since CountRoundTrips or the last Reset.
func (rt *RoundTrips) N() int64 { return rt.n.Load() }

// DialHook implements redis.Hook.
func (rt *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook: one command, one round trip.
func (rt *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		rt.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook: one pipeline, one round trip.
func (rt *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		rt.n.Add(1)
		return next(ctx, cmds)
	}
}
