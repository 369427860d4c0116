package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/ratelimit"
)

// Attacks (issue 6 item 7) on the partner API: every route of it, as registered
// on the mux.

// apiSnapshot is every partnerlink key with its value.
func (e *apiEnv) apiSnapshot() map[string]string {
	e.t.Helper()
	rdb := e.srv.RDB
	keys, err := rdb.Keys(e.ctx, "pl:*").Result()
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys {
		out[k] = rdb.Dump(e.ctx, k).Val()
	}
	return out
}

// partnerRoutes are the mux's partner API patterns (not the operator's).
func (e *apiEnv) partnerRoutes() []string {
	var out []string
	for _, p := range e.srv.mux.patterns {
		_, path, _ := strings.Cut(p, " ")
		if strings.HasPrefix(path, "/api/v1/") && !strings.HasPrefix(path, "/api/v1/admin") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	if len(out) < 5 {
		e.t.Fatalf("found only %v partner API routes", out)
	}
	return out
}

// TestAttackAPIOtherPartnersRecords: with its own valid key, a partner reaching
// for another partner's invitation or relationship through any route gets 404 —
// never 403, which would confirm the record exists — and changes nothing; lists
// never show another partner's records.
func TestAttackAPIOtherPartnersRecords(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	// The rival's open invitation and accepted relationship with the customer.
	code, body, _ := e.call("POST", "/api/v1/invitations", e.otherKey, `{"customer_email":"`+envAdmin+`","relationship_type":"reseller"}`)
	if code != http.StatusCreated {
		t.Fatalf("rival invitation: %d %v", code, body)
	}
	theirs := body["id"].(string)
	code, body, _ = e.call("POST", "/api/v1/invitations", e.otherKey, `{"customer_email":"`+envAdmin+`","relationship_type":"delegated_admin"}`)
	if code != http.StatusCreated {
		t.Fatalf("rival invitation: %d %v", code, body)
	}
	e.accept(body["id"].(string))
	ids := strings.NewReplacer("{id}", theirs, "{customer_id}", e.customer.ID)
	for _, pattern := range e.partnerRoutes() {
		method, path, _ := strings.Cut(pattern, " ")
		before := e.apiSnapshot()
		if !strings.Contains(path, "{") {
			if method != "GET" {
				continue // creating: nothing of anyone else's to reach
			}
			code, body, _ := e.call(method, path, e.key, "")
			if code != http.StatusOK {
				t.Errorf("%s: %d %v", pattern, code, body)
			}
			if s := fmt.Sprint(body); strings.Contains(s, theirs) || strings.Contains(s, e.customer.ID) {
				t.Errorf("%s lists the rival's records: %s", pattern, s)
			}
			continue
		}
		concrete := ids.Replace(path)
		if strings.Contains(concrete, "{") {
			t.Errorf("%s: no id to put in; add it to the replacer", pattern)
			continue
		}
		code, body, _ := e.call(method, concrete, e.key, "")
		if code != http.StatusNotFound {
			t.Errorf("%s with the rival's ids: %d %v, want 404", pattern, code, body)
		}
		if diff := cmp.Diff(before, e.apiSnapshot()); diff != "" {
			t.Errorf("%s with the rival's ids changed Redis:\n%s", pattern, diff)
		}
	}
	// Control: the rival reaches its own invitation.
	if code, body, _ := e.call("GET", "/api/v1/invitations/"+theirs, e.otherKey, ""); code != http.StatusOK {
		t.Errorf("control: the rival's own invitation: %d %v", code, body)
	}
}

// TestAttackAPIBodies: on every partner API route that takes a body, a body over
// the limit is 413 with a clear error, an unknown field and a wrong type are 400
// naming the field, and none changes anything.
func TestAttackAPIBodies(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	id := e.invite("reseller")
	ids := strings.NewReplacer("{id}", id, "{customer_id}", e.customer.ID)
	huge := `{"message":"` + strings.Repeat("x", maxAPIBody+1) + `"}`
	for _, pattern := range e.partnerRoutes() {
		method, path, _ := strings.Cut(pattern, " ")
		if method == "GET" {
			continue
		}
		path = ids.Replace(path)
		cases := []struct {
			name, body string
			status     int
			field      string
		}{
			{"oversize", huge, http.StatusRequestEntityTooLarge, ""},
			{"unknown field", `{"customer_emial":"a@b.example"}`, http.StatusBadRequest, "customer_emial"},
		}
		switch {
		case strings.HasSuffix(path, "/invitations"):
			cases = append(cases, struct {
				name, body string
				status     int
				field      string
			}{"wrong type", `{"customer_email":5,"relationship_type":"reseller"}`, http.StatusBadRequest, "customer_email"},
				struct {
					name, body string
					status     int
					field      string
				}{"wrong type in a list", `{"customer_email":"a@b.example","relationship_type":"reseller","roles":"admin"}`, http.StatusBadRequest, "roles"})
		case strings.HasSuffix(path, "/agreement-requests"):
			cases = append(cases, struct {
				name, body string
				status     int
				field      string
			}{"wrong type", `{"locale":5}`, http.StatusBadRequest, "locale"})
		}
		for _, c := range cases {
			before := e.apiSnapshot()
			code, body, _ := e.call(method, path, e.key, c.body)
			what := pattern + " " + c.name
			if code != c.status {
				t.Errorf("%s: %d %v, want %d", what, code, body, c.status)
			}
			if msg, _ := body["error"].(string); msg == "" || (c.status == http.StatusRequestEntityTooLarge && !strings.Contains(msg, "larger than")) {
				t.Errorf("%s: error %q does not say why", what, msg)
			}
			if c.field != "" {
				fields, _ := body["fields"].(map[string]any)
				if fields[c.field] == nil {
					t.Errorf("%s: fields %v do not name %q", what, fields, c.field)
				}
			}
			if diff := cmp.Diff(before, e.apiSnapshot()); diff != "" {
				t.Errorf("%s changed Redis:\n%s", what, diff)
			}
		}
	}
}

// TestAttackAPIRateLimitPerKey: one key's burst spent, its next request is 429
// with Retry-After; another partner's key still gets through.
func TestAttackAPIRateLimitPerKey(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	const burst = 3
	e.srv.apiLimiter = ratelimit.New(e.srv.RDB, "api-attack", ratelimit.Limit{Rate: 1, Per: time.Hour, Burst: burst})
	for i := 1; i <= burst; i++ {
		if code, body, _ := e.call("GET", "/api/v1/invitations", e.key, ""); code != http.StatusOK {
			t.Fatalf("request %d of %d: %d %v", i, burst, code, body)
		}
	}
	code, body, h := e.call("GET", "/api/v1/invitations", e.key, "")
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("request %d: %d, Retry-After %q; want 429 with Retry-After", burst+1, code, h.Get("Retry-After"))
	}
	if msg, _ := body["error"].(string); !strings.Contains(msg, "rate limit") {
		t.Errorf("429 says %q", msg)
	}
	if code, body, _ := e.call("GET", "/api/v1/invitations", e.otherKey, ""); code != http.StatusOK {
		t.Errorf("another partner's key: %d %v, want 200", code, body)
	}
}

// TestAttackAPIKeysStoredHashed: no value in Redis holds an API key as issued.
func TestAttackAPIKeysStoredHashed(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	ctx := context.Background()
	rdb := e.srv.RDB
	keys, err := rdb.Keys(ctx, "pl:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		var vals []string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		}
		vals = append(vals, k)
		for _, v := range vals {
			for _, key := range []string{e.key, e.otherKey} {
				if strings.Contains(v, key) {
					t.Errorf("key %s holds an API key in clear", k)
				}
			}
		}
	}
}
