package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/ratelimit"
)

// TestCreateInvitationAnswersTheKeyFirst: POST /api/v1/invitations reads its body
// before looking up the API key (to look up the recipient in the same round trip),
// but answers as partnerOnly does: a missing or unknown key is 401 and a partner
// over its limit 429 whatever the body; only then is a bad body 400 (413).
func TestCreateInvitationAnswersTheKeyFirst(t *testing.T) {
	e := newAPIEnv(t)
	good := `{"customer_email":"` + envAdmin + `","relationship_type":"advisor"}`
	unknown := "pl_" + strings.Repeat("a", 32) // well formed
	bodies := map[string]string{
		"good":       good,
		"not json":   `{"customer_email":`,
		"bad field":  `{"customer_email":"nope","relationship_type":"advisor"}`,
		"unknown":    `{"x":1}`,
		"too large":  `{"message":"` + strings.Repeat("a", maxAPIBody) + `"}`,
		"unknown to": `{"customer_email":"nobody@fabrikam.example","relationship_type":"advisor"}`,
	}
	for name, body := range bodies {
		for _, k := range []struct{ name, key string }{{"no key", ""}, {"malformed key", "pl_nope"}, {"unknown key", unknown}} {
			if code, got, _ := e.call("POST", "/api/v1/invitations", k.key, body); code != http.StatusUnauthorized {
				t.Errorf("%s, %s body: %d %v, want 401", k.name, name, code, got)
			}
		}
	}
	for name, want := range map[string]int{"not json": 400, "bad field": 400, "unknown": 400, "too large": 413, "unknown to": 422, "good": 201} {
		if code, got, _ := e.call("POST", "/api/v1/invitations", e.key, bodies[name]); code != want {
			t.Errorf("good key, %s body: %d %v, want %d", name, code, got, want)
		}
	}

	e.srv.apiLimiter = ratelimit.New(e.srv.RDB, "api-create", ratelimit.Limit{Rate: 1, Per: time.Hour, Burst: 1})
	if code, got, _ := e.call("POST", "/api/v1/invitations", e.key, bodies["not json"]); code != http.StatusBadRequest {
		t.Fatalf("first request under the limit: %d %v, want 400", code, got)
	}
	for name, body := range bodies {
		if code, got, _ := e.call("POST", "/api/v1/invitations", e.key, body); code != http.StatusTooManyRequests {
			t.Errorf("limit spent, %s body: %d %v, want 429", name, code, got)
		}
	}
}

// createRequest is a POST /api/v1/invitations with the env's partner key.
func (e *apiEnv) createRequest() *http.Request {
	req := httptest.NewRequest("POST", "/api/v1/invitations",
		strings.NewReader(`{"customer_email":"`+envAdmin+`","relationship_type":"advisor"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "api-test/1")
	req.Header.Set("Authorization", "Bearer "+e.key)
	return req
}

// TestCreateInvitationRoundTrips: a successful POST /api/v1/invitations costs at
// most 2 round trips to Redis besides asynq's enqueue (which has its own client):
// the API key's partner with the recipient's reads and the rate limit's decision;
// the derived indexes and the create script, in that order in one pipeline. Any other partner API request pays one
// round trip for its key and its rate limit together.
func TestCreateInvitationRoundTrips(t *testing.T) {
	e := newAPIEnv(t)
	rt := testredis.CountRoundTrips(e.rdb)
	create := func(what string, budget int64) string {
		t.Helper()
		for i := range 6 { // the first requests of a key, and script loads, may cost more
			rt.Reset()
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, e.createRequest())
			if w.Code != http.StatusCreated {
				t.Fatalf("%s: create %d: %d %s", what, i, w.Code, w.Body)
			}
			if n := rt.N(); i >= 2 && n > budget {
				t.Errorf("%s: create %d: %d round trips to Redis besides asynq's, want at most %d", what, i, n, budget)
			} else {
				t.Logf("%s: create %d: %d round trips", what, i, n)
			}
			if i == 5 {
				return w.Header().Get("Location")
			}
		}
		return ""
	}
	get := func(what, path string, budget int64) {
		t.Helper()
		rt.Reset()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+e.key)
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: GET %s: %d %s", what, path, w.Code, w.Body)
		}
		if n := rt.N(); n > budget {
			t.Errorf("%s: GET %s: %d round trips, want at most %d", what, path, n, budget)
		}
	}

	loc := create("unlimited", 2)
	get("unlimited", loc, 2) // the key, the invitation

	e.srv.apiLimiter = ratelimit.New(e.srv.RDB, "api-rt", ratelimit.Limit{Rate: 100000, Per: time.Minute, Burst: 1000})
	loc = create("rate limited", 2)
	get("rate limited", loc, 2)
}

// BenchmarkAPICreateInvitation is serve's work for one POST /api/v1/invitations
// (handler, store, asynq enqueue; no HTTP connection) on a real redis-server,
// logging at info level; Quiet at warn, as the bench runs serve.
func BenchmarkAPICreateInvitation(b *testing.B) {
	benchmarkAPICreate(b, slog.LevelInfo)
}

func BenchmarkAPICreateInvitationQuiet(b *testing.B) {
	benchmarkAPICreate(b, slog.LevelWarn)
}

func benchmarkAPICreate(b *testing.B, level slog.Level) {
	e := newAPIEnv(b)
	e.srv.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, e.createRequest())
		if w.Code != http.StatusCreated {
			b.Fatalf("create: %d %s", w.Code, w.Body)
		}
	}
}
