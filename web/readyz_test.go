package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestReadyz checks /readyz against a real redis-server and a real SMTP sink:
// ready with both up, 503 naming the one that is down, and the SMTP check
// skipped (and said so) without an SMTP URL. /healthz is unaffected by SMTP.
func TestReadyz(t *testing.T) {
	tests := []struct {
		name        string
		smtp        bool // /readyz checks SMTP
		stop        func(e *obsEnv)
		wantCode    int
		wantBody    string
		wantHealthz int
	}{
		{"both up", true, func(*obsEnv) {}, http.StatusOK, "ready\n", http.StatusOK},
		{"smtp closed", true, func(e *obsEnv) { e.sink.Close() }, http.StatusServiceUnavailable, "not ready: smtp unreachable\n", http.StatusOK},
		{"redis stopped", true, func(e *obsEnv) { e.redis.Kill() }, http.StatusServiceUnavailable, "not ready: redis unreachable\n", http.StatusServiceUnavailable},
		{"both down", true, func(e *obsEnv) { e.redis.Kill(); e.sink.Close() }, http.StatusServiceUnavailable, "not ready: redis unreachable; smtp unreachable\n", http.StatusServiceUnavailable},
		{"no smtp url", false, func(*obsEnv) {}, http.StatusOK, "ready; smtp not checked (no --smtp-url)\n", http.StatusOK},
		{"no smtp url, redis stopped", false, func(e *obsEnv) { e.redis.Kill() }, http.StatusServiceUnavailable,
			"not ready: redis unreachable; smtp not checked (no --smtp-url)\n", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newObsEnv(t, tt.smtp)
			tt.stop(e)
			resp, body := e.do("GET", "/readyz", nil, "")
			if resp.StatusCode != tt.wantCode || body != tt.wantBody {
				t.Errorf("GET /readyz = %d %q, want %d %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
			if resp, body := e.do("GET", "/healthz", nil, ""); resp.StatusCode != tt.wantHealthz {
				t.Errorf("GET /healthz = %d %q, want %d", resp.StatusCode, body, tt.wantHealthz)
			}
		})
	}
}

// TestReadyzCached: within a few seconds a second probe gets the first answer
// without dialing the SMTP server again.
func TestReadyzCached(t *testing.T) {
	e := newObsEnv(t, true)
	if resp, body := e.do("GET", "/readyz", nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz = %d %q, want 200", resp.StatusCode, body)
	}
	dials := e.sink.Connections()
	for range 20 {
		if resp, body := e.do("GET", "/readyz", nil, ""); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "ready") {
			t.Fatalf("GET /readyz = %d %q, want the cached 200", resp.StatusCode, body)
		}
	}
	if n := e.sink.Connections(); n != dials {
		t.Errorf("20 more probes dialed SMTP %d more times, want 0 (cached)", n-dials)
	}
}
