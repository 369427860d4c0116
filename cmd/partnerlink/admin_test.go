package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

var (
	partnerCreated  = regexp.MustCompile(`^partner (pa_[a-z0-9]+) created: Contoso Partners Ltd <partners@contoso\.example>\nAPI key \(shown only this once; keep it secret\): (pl_[a-z0-9]+)\n$`)
	customerCreated = regexp.MustCompile(`^customer (cu_[a-z0-9]+) created: Fabrikam, Inc\., first administrator admin@fabrikam\.example \(global_admin\)\n$`)
)

func TestOperatorCommands(t *testing.T) {
	clearEnv(t)
	srv := testredis.Start(t)
	t.Setenv("PARTNERLINK_REDIS_URL", srv.URL) // as an operator would; flags are tested below
	ctx := context.Background()
	store := partnerships.NewStore(srv.Client())

	// partners add prints the id and the API key, once.
	r := runCmd(t, "partners", "add", "--name", "Contoso Partners Ltd", "--email", "partners@contoso.example")
	m := partnerCreated.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || r.stderr != "" {
		t.Fatalf("partners add: %v", r)
	}
	partnerID, apiKey := m[1], m[2]
	if n := strings.Count(r.stdout, "pl_"); n != 1 {
		t.Errorf("the API key is printed %d times", n)
	}
	p, err := store.PartnerByAPIKey(ctx, apiKey)
	if err != nil || p.ID != partnerID {
		t.Errorf("PartnerByAPIKey(printed key) = %v, %v; want partner %s", p.ID, err, partnerID)
	}

	// partners list shows it, without the key.
	r = runCmd(t, "partners", "list", "--redis-url", srv.URL)
	if r.code != 0 {
		t.Fatalf("partners list: %v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	today := time.Now().UTC().Format("2006-01-02")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") ||
		strings.Join(strings.Fields(lines[1]), " ") != partnerID+" Contoso Partners Ltd partners@contoso.example "+today {
		t.Errorf("partners list:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, apiKey) {
		t.Errorf("partners list shows the API key")
	}

	// customers add, add-user, list.
	r = runCmd(t, "customers", "add", "--name", "Fabrikam, Inc.", "--domain", "fabrikam.example",
		"--admin-email", "admin@fabrikam.example", "--admin-name", "Ada Admin", "--admin-role", "global_admin")
	m = customerCreated.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("customers add: %v", r)
	}
	customerID := m[1]
	r = runCmd(t, "customers", "add-user", "--customer", customerID, "--email", "uma@fabrikam.example", "--name", "Uma", "--role", "user")
	if r.code != 0 || r.stdout != "user uma@fabrikam.example added to customer "+customerID+" as user\n" {
		t.Fatalf("customers add-user: %v", r)
	}
	r = runCmd(t, "customers", "list")
	if r.code != 0 {
		t.Fatalf("customers list: %v", r)
	}
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		rows = append(rows, strings.Join(strings.Fields(l), " "))
	}
	want := []string{
		customerID + " Fabrikam, Inc. admin@fabrikam.example global_admin",
		customerID + " Fabrikam, Inc. uma@fabrikam.example user",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("customers list rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}

	// Mistakes: usage errors exit 2 and change nothing; refusals by the store exit 1.
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"partner without name", []string{"partners", "add", "--email", "p@contoso.example"}, 2, "--name and --email are required"},
		{"partner without email", []string{"partners", "add", "--name", "P"}, 2, "--name and --email are required"},
		{"partner with bad email", []string{"partners", "add", "--name", "P", "--email", "not-an-email"}, 2, "contact_email"},
		{"partner with extra argument", []string{"partners", "add", "--name", "P", "--email", "p@contoso.example", "now"}, 2, `unexpected argument "now"`},
		{"customer without name", []string{"customers", "add", "--admin-email", "a@b.example"}, 2, "--name and --admin-email are required"},
		{"customer without admin", []string{"customers", "add", "--name", "N"}, 2, "--name and --admin-email are required"},
		{"first admin is a user", []string{"customers", "add", "--name", "N", "--admin-email", "a@n.example", "--admin-role", "user"}, 2, `--admin-role "user": the first user must be global_admin or billing_admin`},
		{"first admin is a helpdesk admin", []string{"customers", "add", "--name", "N", "--admin-email", "a@n.example", "--admin-role", "helpdesk_admin"}, 2, "the first user must be global_admin or billing_admin"},
		{"first admin role unknown", []string{"customers", "add", "--name", "N", "--admin-email", "a@n.example", "--admin-role", "root"}, 2, `--admin-role "root"`},
		{"customer with bad admin email", []string{"customers", "add", "--name", "N", "--admin-email", "nobody"}, 2, "email"},
		{"user without customer", []string{"customers", "add-user", "--email", "x@fabrikam.example"}, 2, "--customer and --email are required"},
		{"user without email", []string{"customers", "add-user", "--customer", customerID}, 2, "--customer and --email are required"},
		{"user with bad role", []string{"customers", "add-user", "--customer", customerID, "--email", "x@fabrikam.example", "--role", "superuser"}, 2, "--role"},
		{"user with bad email", []string{"customers", "add-user", "--customer", customerID, "--email", "x at fabrikam"}, 2, "email"},
		{"user of unknown customer", []string{"customers", "add-user", "--customer", "cu_doesnotexist", "--email", "x@fabrikam.example"}, 1, "not found"},
		{"user email taken", []string{"customers", "add-user", "--customer", customerID, "--email", "admin@fabrikam.example"}, 1, "already"},
		{"customer admin email taken", []string{"customers", "add", "--name", "Other", "--admin-email", "uma@fabrikam.example"}, 1, "already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q: %v", r.code, tt.code, tt.want, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
		})
	}
	// Nothing was added by the mistakes.
	if ps, err := store.Partners(ctx); err != nil || len(ps) != 1 {
		t.Errorf("partners after the mistakes: %d, %v", len(ps), err)
	}
	if cs, err := store.Customers(ctx); err != nil || len(cs) != 1 {
		t.Errorf("customers after the mistakes: %d, %v", len(cs), err)
	}
	if us, err := store.CustomerUsers(ctx, customerID); err != nil || len(us) != 2 {
		t.Errorf("users after the mistakes: %d, %v", len(us), err)
	}
}

// TestOperatorUsageErrorsNeedNoRedis: a usage mistake is reported as one (exit 2)
// at once, without waiting for Redis; with good flags an unreachable Redis is
// exit 1.
func TestOperatorUsageErrorsNeedNoRedis(t *testing.T) {
	clearEnv(t)
	redisURL := closedRedisURL(t)
	for _, args := range [][]string{
		{"partners", "add", "--name", "P"},
		{"customers", "add", "--name", "N", "--admin-email", "a@n.example", "--admin-role", "user"},
		{"customers", "add-user", "--customer", "cu_x", "--email", "u@n.example", "--role", "superuser"},
		{"customers", "add-user", "--email", "u@n.example"},
		{"customers", "list", "extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			start := time.Now()
			r := runCmd(t, append(args, "--redis-url", redisURL)...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2: %v", r.code, r)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		wantUnreachable(t, []string{"partners", "list", "--redis-url", redisURL}, redisURL)
	})
}
