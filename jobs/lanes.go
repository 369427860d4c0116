package jobs

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/hibiken/asynq"
)

// laneSize is how many tasks one asynq server of a Lanes runs at once at most.
//
// An asynq server dequeues one task at a time: its processor loop waits for each
// Dequeue round trip to Redis before it takes the next task, so a server handles at
// most 1/RTT tasks per second whatever its Concurrency (on a busy 2-core machine,
// about 330 a second). Lanes run several servers in one worker process, so that
// several dequeues are in flight (go run ./bench, item 1).
const laneSize = 8

// Lanes is a worker's asynq servers: Concurrency tasks at once, split over
// ceil(Concurrency/laneSize) servers that take tasks from the same queues.
type Lanes struct {
	servers []*asynq.Server
	sizes   []int // each server's Concurrency
}

// NewLanes returns the servers for cfg (see NewServer).
func NewLanes(redis asynq.RedisConnOpt, cfg ServerConfig, log *slog.Logger) *Lanes {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	n := (cfg.Concurrency + laneSize - 1) / laneSize
	l := &Lanes{}
	for i := range n {
		c := cfg
		c.Concurrency = cfg.Concurrency / n
		if i < cfg.Concurrency%n {
			c.Concurrency++
		}
		l.servers = append(l.servers, NewServer(redis, c, log))
		l.sizes = append(l.sizes, c.Concurrency)
	}
	return l
}

// Start starts every server with h; when one fails, the ones started are shut down.
func (l *Lanes) Start(h asynq.Handler) error {
	for i, s := range l.servers {
		if err := s.Start(h); err != nil {
			for _, started := range l.servers[:i] {
				started.Shutdown()
			}
			return fmt.Errorf("jobs: start lane %d of %d: %w", i+1, len(l.servers), err)
		}
	}
	return nil
}

// Shutdown stops every server at once, letting in-flight tasks finish (each
// within its ShutdownTimeout).
func (l *Lanes) Shutdown() {
	var wg sync.WaitGroup
	for _, s := range l.servers {
		wg.Go(s.Shutdown)
	}
	wg.Wait()
}
