package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Pool sends through up to size connections to one SMTP server at once: each
// connection is a Mailer of its own, reused message after message. A Send waits for
// a free connection. It is safe for concurrent use.
type Pool struct {
	all  []*Mailer
	free chan *Mailer
}

// NewPool returns a pool of size connections (at least 1) with cfg. Like New, it
// does not connect: each connection is opened by its first send.
func NewPool(cfg Config, size int, log *slog.Logger) (*Pool, error) {
	if size < 1 || size > 100 {
		return nil, fmt.Errorf("mailer: pool size %d: want 1 to 100 connections", size)
	}
	p := &Pool{free: make(chan *Mailer, size)}
	for range size {
		m, err := New(cfg, log)
		if err != nil {
			return nil, err
		}
		p.all = append(p.all, m)
		p.free <- m
	}
	return p, nil
}

// Send sends msg over the first free connection; see Mailer.Send for its errors.
// If ctx ends while every connection is busy, it returns a temporary *SendError
// matching ctx's error.
func (p *Pool) Send(ctx context.Context, msg Message) error {
	select {
	case m := <-p.free:
		defer func() { p.free <- m }()
		return m.Send(ctx, msg)
	case <-ctx.Done():
		return &SendError{Temporary: true, Err: ctx.Err()}
	}
}

// Ping checks that a new connection can be opened; see Mailer.Ping.
func (p *Pool) Ping(ctx context.Context) error { return p.all[0].Ping(ctx) }

// Close closes every connection; later Sends fail with ErrClosed.
func (p *Pool) Close() error {
	var errs []error
	for _, m := range p.all {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}
