package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestRequestID: every response carries an X-Request-Id, the client's when it is
// a sane token, else a generated one; the access log line and the handler's own
// log lines carry the same request_id.
func TestRequestID(t *testing.T) {
	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	tests := []struct {
		name string
		sent string // X-Request-Id sent; "" none
		keep bool   // the response echoes it
	}{
		{"none sent", "", false},
		{"sane token kept", "req-123_abc.DEF", true},
		{"64 characters kept", strings.Repeat("a", 64), true},
		{"65 characters replaced", strings.Repeat("a", 65), false},
		{"spaces replaced", "two words", false},
		{"log injection replaced", `x","request_id":"forged`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newObsEnv(t, false)
			h := map[string]string{"Authorization": "Bearer pl_not-a-key"} // logged by the handler: unknown API key
			if tt.sent != "" {
				h[RequestIDHeader] = tt.sent
			}
			resp, body := e.do("GET", "/api/v1/invitations/inv_x", h, "")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d %q, want 401", resp.StatusCode, body)
			}
			id := resp.Header.Get(RequestIDHeader)
			switch {
			case tt.keep && id != tt.sent:
				t.Errorf("X-Request-Id = %q, want the sent %q", id, tt.sent)
			case !tt.keep && !generated.MatchString(id):
				t.Errorf("X-Request-Id = %q, want a generated 24-hex id", id)
			}
			var access, handler map[string]any
			for _, rec := range e.logs.lines(t) {
				switch rec["msg"] {
				case "http request":
					access = rec
				case "api: unknown API key":
					handler = rec
				}
			}
			if handler == nil || handler["request_id"] != id {
				t.Errorf("handler log line = %v, want request_id %q", handler, id)
			}
			if access == nil {
				t.Fatalf("no access log line in %v", e.logs.lines(t))
			}
			for k, want := range map[string]any{"request_id": id, "method": "GET", "route": "GET /api/v1/invitations/{id}", "status": float64(401), "level": "INFO"} {
				if access[k] != want {
					t.Errorf("access log %s = %v, want %v (line %v)", k, access[k], want, access)
				}
			}
			if _, ok := access["duration_ms"].(float64); !ok {
				t.Errorf("access log lacks duration_ms: %v", access)
			}
		})
	}
}
