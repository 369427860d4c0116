package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestHealthCommand(t *testing.T) {
	clearEnv(t)
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()

	tests := []struct {
		name    string
		healthy bool
		args    []string
		code    int
		out     string
	}{
		{"healthy", true, []string{"--url", srv.URL + "/healthz"}, 0, "ok"},
		{"unhealthy", false, []string{"--url", srv.URL + "/healthz"}, 1, "503 Service Unavailable: redis unreachable"},
		{"not a URL", true, []string{"--url", "localhost:8080"}, 2, "want http://host:port/healthz"},
		{"bad timeout", true, []string{"--url", srv.URL, "--timeout", "0s"}, 2, "--timeout 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			healthy.Store(tt.healthy)
			r := runCmd(t, append([]string{"health"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.out) {
				t.Errorf("health %v = %v; want exit %d and %q", tt.args, r, tt.code, tt.out)
			}
		})
	}
}
