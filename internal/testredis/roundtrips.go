package testredis

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RoundTrips counts a go-redis client's round trips to Redis: a command sent on
// its own is one, and a pipeline (or MULTI/EXEC transaction) is one however many
// commands it holds. A script run that falls back from EVALSHA to EVAL counts two.
type RoundTrips struct{ n atomic.Int64 }

// CountRoundTrips adds a hook to rdb that counts its round trips from now on.
func CountRoundTrips(rdb redis.UniversalClient) *RoundTrips {
	rt := &RoundTrips{}
	rdb.AddHook(rt)
	return rt
}

// Reset sets the count back to zero.
func (rt *RoundTrips) Reset() { rt.n.Store(0) }

// N returns the round trips counted since the hook was added or last Reset.
func (rt *RoundTrips) N() int64 { return rt.n.Load() }

// DialHook implements redis.Hook; dials are not counted.
func (rt *RoundTrips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

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
