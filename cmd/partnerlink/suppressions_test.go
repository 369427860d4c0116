package main

import (
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSuppressionsCommand lists and lifts suppressions in a real Redis through
// the command's run function, as an operator would.
func TestSuppressionsCommand(t *testing.T) {
	clearEnv(t)
	srv := testredis.Start(t)
	store := partnerships.NewStore(srv.Client(), partnerships.WithSuppressAfter(1))
	ctx := t.Context()

	r := runCmd(t, "suppressions", "list", "--redis-url", srv.URL)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "no suppressed addresses" {
		t.Fatalf("list of none: %v", r)
	}
	if _, _, err := store.RecordHardBounce(ctx, "gone@fabrikam.example", "in_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SuppressComplaint(ctx, "angry@fabrikam.example", "abuse"); err != nil {
		t.Fatal(err)
	}

	r = runCmd(t, "suppressions", "list", "--redis-url", srv.URL)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "EMAIL") {
		t.Fatalf("list: %v", r)
	}
	for _, want := range []string{"gone@fabrikam.example", "1 hard bounces", "angry@fabrikam.example", "complaint: abuse"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list does not show %q:\n%s", want, r.stdout)
		}
	}

	tests := []struct {
		name    string
		args    []string
		code    int
		out     string // in stdout (code 0) or stderr
		lifted  string // address no longer suppressed afterwards
		remains []string
	}{
		{name: "no address", args: []string{"--redis-url", srv.URL}, code: 2, out: "the address to lift is required"},
		{name: "two addresses", args: []string{"a@x.example", "b@x.example", "--redis-url", srv.URL}, code: 2, out: `unexpected argument "b@x.example"`},
		{name: "not suppressed", args: []string{"--redis-url", srv.URL, "nobody@fabrikam.example"}, code: 2, out: "nobody@fabrikam.example is not suppressed"},
		{name: "malformed", args: []string{"--redis-url", srv.URL, "not-an-address"}, code: 2, out: "email"},
		{name: "complaint", args: []string{"angry@fabrikam.example", "--redis-url", srv.URL}, code: 0, out: "suppression of angry@fabrikam.example lifted", lifted: "angry@fabrikam.example", remains: []string{"gone@fabrikam.example"}},
		{name: "bounce, address in capitals", args: []string{"--redis-url", srv.URL, "Gone@Fabrikam.example"}, code: 0, out: "lifted", lifted: "gone@fabrikam.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, append([]string{"suppressions", "lift"}, tt.args...)...)
			out := r.stdout
			if tt.code != 0 {
				out = r.stderr
			}
			if r.code != tt.code || !strings.Contains(out, tt.out) {
				t.Fatalf("want exit %d with %q: %v", tt.code, tt.out, r)
			}
			if tt.lifted != "" {
				if s, err := store.Suppressed(ctx, tt.lifted); err != nil || s {
					t.Errorf("%s still suppressed: %t, %v", tt.lifted, s, err)
				}
			}
			for _, e := range tt.remains {
				if s, err := store.Suppressed(ctx, e); err != nil || !s {
					t.Errorf("%s no longer suppressed: %t, %v", e, s, err)
				}
			}
		})
	}
}
