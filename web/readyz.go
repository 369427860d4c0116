package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// readyTTL is how long a /readyz result is reused, so that a storm of probes
// does not dial the mail relay once each.
const readyTTL = 5 * time.Second

// readyTimeout bounds each check of /readyz.
const readyTimeout = 3 * time.Second

func (s *Server) observabilityRoutes(p string) {
	s.ready = &readiness{}
	s.mux.HandleFunc("GET "+p+"/readyz", s.readyz)
	if s.MetricsHandler != nil {
		s.mux.Handle("GET "+p+"/metrics", s.MetricsHandler)
	}
}

// readiness caches the last /readyz result.
type readiness struct {
	mu   sync.Mutex
	at   time.Time
	code int
	body string
}

// readyz answers 200 "ready" when Redis answers PING and the SMTP server takes a
// connection (EHLO and QUIT), else 503 naming what is down. The result is kept
// for readyTTL. /healthz stays the liveness check (the process and Redis).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	code, body := s.ready.get(func() (int, string) { return s.checkReady(r.Context(), r) })
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}

func (rd *readiness) get(check func() (int, string)) (int, string) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.at.IsZero() && time.Since(rd.at) < readyTTL {
		return rd.code, rd.body
	}
	rd.code, rd.body = check()
	rd.at = time.Now()
	return rd.code, rd.body
}

func (s *Server) checkReady(ctx context.Context, r *http.Request) (int, string) {
	var down, notes []string
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	if err := s.Store.Ping(rctx); err != nil {
		s.log(r).Warn("readiness: redis unreachable", "err", err)
		down = append(down, "redis unreachable")
	}
	if s.SMTPCheck == nil {
		notes = append(notes, "smtp not checked (no --smtp-url)")
	} else {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		defer cancel()
		if err := s.SMTPCheck(sctx); err != nil {
			s.log(r).Warn("readiness: smtp unreachable", "err", err)
			down = append(down, "smtp unreachable")
		}
	}
	if len(down) > 0 {
		return http.StatusServiceUnavailable, "not ready: " + strings.Join(append(down, notes...), "; ")
	}
	if len(notes) > 0 {
		return http.StatusOK, "ready; " + strings.Join(notes, "; ")
	}
	return http.StatusOK, "ready"
}
