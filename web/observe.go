package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// RequestIDHeader carries a request's id: taken from the request when it is a
// sane token, else generated, and always set on the response.
const RequestIDHeader = "X-Request-Id"

type loggerKey struct{}

// LoggerFrom returns the request's logger (with its request_id) carried in ctx,
// or fallback when there is none.
func LoggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return fallback
}

// log is the logger of request r: the server's, with the request's id.
func (s *Server) log(r *http.Request) *slog.Logger { return LoggerFrom(r.Context(), s.Logger) }

// requestID is the id of r: its X-Request-Id when that is a sane token (1 to 64
// letters, digits, '-', '_', '.'), else a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); saneID(id) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// requestIDHandler writes request_id first among a line's own attributes, as
// Logger.With("request_id", id) would, but formats it only for a line written:
// With formats it at once, for every request, whether or not it logs anything at
// an enabled level. A logger derived from it (With, WithGroup) is the With one.
type requestIDHandler struct {
	slog.Handler
	id string
}

func (h *requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	rec.AddAttrs(slog.String("request_id", h.id))
	r.Attrs(func(a slog.Attr) bool {
		rec.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, rec)
}

func (h *requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return h.with().WithAttrs(as)
}

func (h *requestIDHandler) WithGroup(name string) slog.Handler {
	return h.with().WithGroup(name)
}

func (h *requestIDHandler) with() slog.Handler {
	return h.Handler.WithAttrs([]slog.Attr{slog.String("request_id", h.id)})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe serves r with next, giving it a request id (response header and a
// logger in its context), then writes the access log line and counts the
// request by route — the mux pattern that matched, never the raw path, so the
// label's values stay as few as the routes.
func (s *Server) observe(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	id := requestID(r)
	w.Header().Set(RequestIDHeader, id)
	log := slog.New(&requestIDHandler{s.log(r).Handler(), id})
	r = r.WithContext(context.WithValue(r.Context(), loggerKey{}, log))
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		took := time.Since(start)
		s.Metrics.HTTPRequest(r.Pattern, code, took)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		level := slog.LevelInfo
		if probeRoute(route) { // probes and scrapes every few seconds: debug
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "http request", "method", r.Method, "route", route, "status", code, "duration_ms", float64(took.Microseconds())/1000)
	}()
	next(sw, r)
}

// probeRoute reports whether route is a health probe or the metrics scrape.
func probeRoute(route string) bool {
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if strings.HasSuffix(route, p) {
			return true
		}
	}
	return false
}
