package jobs

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// ServerConfig sizes the worker.
type ServerConfig struct {
	Concurrency     int           // tasks processed at once; default 10
	ShutdownTimeout time.Duration // how long in-flight tasks may finish after SIGTERM; default 20s
}

// NewServer returns the asynq server that runs partnerlink's handlers.
func NewServer(redis asynq.RedisConnOpt, cfg ServerConfig, log *slog.Logger) *asynq.Server {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	return asynq.NewServer(redis, asynq.Config{
		Concurrency:    cfg.Concurrency,
		Queues:         map[string]int{QueueMail: 1},
		RetryDelayFunc: retryDelay,
		IsFailure:      isFailure, // deliver: a send waiting for its turn (pace) is no failure
		// An idle worker looks for new tasks this often (asynq's default is 1s): a
		// fresh invitation leaves within about 100ms, for one cheap Redis call.
		TaskCheckInterval: 100 * time.Millisecond,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		Logger:            asynqLogger{log: log.With("component", "asynq")},
		LogLevel:          asynq.WarnLevel,
	})
}

// Route is one more task type and its handler for NewMux.
type Route struct {
	Type    string
	Handler asynq.Handler
}

// NewMux routes each task type to its handler: invitation:send to send, and the
// others as given.
func NewMux(send *Sender, more ...Route) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Handle(TypeSendInvitation, send)
	for _, r := range more {
		mux.Handle(r.Type, r.Handler)
	}
	return mux
}
