package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/requests"
)

// inviteWorld is a Redis with a partner and customers to invite.
type inviteWorld struct {
	srv     *testredis.Server
	store   *partnerships.Store
	partner string
}

// newInviteWorld starts Redis with one partner and n customers whose first
// administrators are admin0@c0.example … admin<n-1>@c<n-1>.example, and a
// suppressed user gone@c0.example.
func newInviteWorld(t testing.TB, n int) *inviteWorld {
	t.Helper()
	srv := testredis.Start(t)
	store := partnerships.NewStore(srv.Client())
	ctx := context.Background()
	p, _, err := store.CreatePartner(ctx, "Contoso Partners", "ops@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c, err := store.CreateCustomer(ctx, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d.example", i),
			partnerships.CustomerUser{Email: customerEmail(i), Role: partnerships.GlobalAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := store.AddCustomerUser(ctx, partnerships.CustomerUser{CustomerID: c.ID, Email: "gone@c0.example", Role: partnerships.GlobalAdmin}); err != nil {
				t.Fatal(err)
			}
			if _, err := store.SuppressComplaint(ctx, "gone@c0.example", "abuse"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &inviteWorld{srv: srv, store: store, partner: p.ID}
}

func customerEmail(i int) string { return fmt.Sprintf("admin%d@c%d.example", i, i) }

// queuedSends is the invitation ids whose send task waits in the mail queue.
func (w *inviteWorld) queuedSends(t testing.TB) []string {
	t.Helper()
	opt, err := asynq.ParseRedisURI(w.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	var ids []string
	for page := 1; ; page++ {
		tasks, err := insp.ListPendingTasks(jobs.QueueMail, asynq.PageSize(1000), asynq.Page(page))
		if err != nil && !strings.Contains(err.Error(), "queue not found") {
			t.Fatal(err)
		}
		for _, task := range tasks {
			if task.Type != jobs.TypeSendInvitation {
				continue
			}
			var p jobs.SendInvitationPayload
			if err := json.Unmarshal(task.Payload, &p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.InvitationID)
		}
		if len(tasks) < 1000 {
			break
		}
	}
	slices.Sort(ids)
	return ids
}

// keys is every key in Redis with its DUMP, to show that a run wrote nothing.
func keys(t testing.TB, rdb *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	names, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range names {
		v, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func assertUnchanged(t testing.TB, before, after map[string]string) {
	t.Helper()
	if !maps.Equal(before, after) {
		var diff []string
		for k := range after {
			if before[k] != after[k] {
				diff = append(diff, k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				diff = append(diff, k+" (gone)")
			}
		}
		t.Errorf("Redis changed: %v", diff)
	}
}

var createdLine = regexp.MustCompile(`^invitation (\S+) pending: (\S+) for (\S+) \(customer (\S+)\), send queued\n$`)

func TestInviteOne(t *testing.T) {
	clearEnv(t)
	w := newInviteWorld(t, 3)
	ctx := t.Context()

	r := runCmd(t, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--email", "Admin1@C1.example",
		"--type", "delegated_admin", "--roles", "helpdesk_admin", "--locale", "de", "--message", "Hallo Ada",
		"--duration", "90d", "--auto-extend", "--invite-ttl", "72h")
	m := createdLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("invite: %v", r)
	}
	inv, err := w.store.Invitation(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	want := partnerships.Invitation{ID: m[1], PartnerID: w.partner, CustomerID: m[4], Email: "admin1@c1.example",
		Type: partnerships.DelegatedAdmin, Roles: []partnerships.Role{partnerships.HelpdeskAdmin}, Locale: "de", Message: "Hallo Ada",
		Status: partnerships.StatusPending, Duration: 90 * 24 * time.Hour, AutoExtend: true}
	if inv.PartnerID != want.PartnerID || inv.CustomerID != want.CustomerID || inv.Email != want.Email || inv.Type != want.Type ||
		!slices.Equal(inv.Roles, want.Roles) || inv.Locale != want.Locale || inv.Message != want.Message || inv.Status != want.Status ||
		inv.Duration != want.Duration || inv.AutoExtend != want.AutoExtend || inv.ExpiresAt.Sub(inv.CreatedAt) != 72*time.Hour {
		t.Errorf("stored invitation = %+v\nwant %+v, expiring after 72h", inv, want)
	}
	if got := w.queuedSends(t); !slices.Equal(got, []string{inv.ID}) {
		t.Errorf("queued sends = %v, want [%s]", got, inv.ID)
	}

	// The customer accepts, so a second invitation of the same type is refused.
	if _, _, err := w.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: "admin1@c1.example",
		Agreement: partnerships.AgreementRef{Version: "2026-01", Locale: "de", SHA256: strings.Repeat("a", 64)}, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}

	// Refusals and usage errors change nothing.
	tests := []struct {
		name string
		args []string
		code int
		err  string // in stderr
	}{
		{"unknown customer", []string{"--email", "nobody@nowhere.example", "--type", "reseller"}, 3,
			"refused: no customer known to partnerlink has a user nobody@nowhere.example"},
		{"suppressed", []string{"--email", "gone@c0.example", "--type", "reseller"}, 3,
			"refused: invitations to gone@c0.example are suppressed"},
		{"already related", []string{"--email", "admin1@c1.example", "--type", "delegated_admin"}, 3,
			"refused: customer " + m[4] + " already has a delegated_admin relationship with this partner"},
		{"already related, dry run", []string{"--email", "admin1@c1.example", "--type", "delegated_admin", "--dry-run"}, 3,
			"already has a delegated_admin relationship"},
		{"bad type", []string{"--email", "admin0@c0.example", "--type", "boss"}, 2, `type "boss" is not one of reseller`},
		{"bad role", []string{"--email", "admin0@c0.example", "--type", "reseller", "--roles", "global_admin"}, 2, "type reseller grants no roles"},
		{"auto-extend open-ended", []string{"--email", "admin0@c0.example", "--type", "advisor", "--auto-extend"}, 2, "auto_extend needs a duration"},
		{"bad duration", []string{"--email", "admin0@c0.example", "--type", "advisor", "--duration", "3 weeks"}, 2, `duration "3 weeks" must be 1 day to 2 years`},
		{"no type", []string{"--email", "admin0@c0.example"}, 2, "--email and --type are required"},
		{"unknown partner", []string{"--email", "admin0@c0.example", "--type", "advisor", "--partner", "pa_nobody"}, 2, `--partner "pa_nobody": no such partner`},
		{"csv and email", []string{"--email", "admin0@c0.example", "--csv", "x.csv"}, 2, "--email cannot be used with --csv"},
		{"dry run refused", []string{"--email", "nobody@nowhere.example", "--type", "reseller", "--dry-run"}, 3, "refused: no customer known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := keys(t, w.srv.Client())
			args := append([]string{"invite", "--redis-url", w.srv.URL, "--partner", w.partner}, tt.args...)
			r := runCmd(t, args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.err) || r.stdout != "" {
				t.Errorf("want exit %d and %q: %v", tt.code, tt.err, r)
			}
			assertUnchanged(t, before, keys(t, w.srv.Client()))
		})
	}

	t.Run("dry run", func(t *testing.T) {
		before := keys(t, w.srv.Client())
		r := runCmd(t, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--email", "admin2@c2.example", "--type", "advisor", "--dry-run")
		if r.code != 0 || r.stdout != "admin2@c2.example (advisor) can be invited; nothing was written (--dry-run)\n" {
			t.Errorf("%v", r)
		}
		assertUnchanged(t, before, keys(t, w.srv.Client()))
	})
	t.Run("redis down", func(t *testing.T) {
		r := runCmd(t, "invite", "--redis-url", closedRedisURL(t), "--partner", w.partner, "--email", "admin2@c2.example", "--type", "advisor")
		if r.code != 1 || !strings.Contains(r.stderr, "cannot reach Redis") {
			t.Errorf("%v", r)
		}
	})
}

// bulkCSV is a file of n good rows (customers 0…n-1, type advisor) with bad rows
// mixed in; it returns the file and the refusal lines the run must print.
func bulkCSV(n int) (string, []string) {
	var b strings.Builder
	b.WriteString("customer_email,relationship_type,roles,locale,message,duration,auto_extend\n")
	row := 1
	var refused []string
	for i := range n {
		row++
		fmt.Fprintf(&b, "%s,advisor,,%s,Hello %d,,\n", customerEmail(i), []string{"en", "de"}[i%2], i)
		switch i {
		case 10:
			row++
			b.WriteString("nobody@nowhere.example,advisor,,,,,\n")
			refused = append(refused, fmt.Sprintf("row %d (nobody@nowhere.example): no customer known to partnerlink has a user nobody@nowhere.example (partnerlink customers add-user)", row))
		case 50:
			row++
			b.WriteString("admin3@c3.example,boss,,,,,\n")
			refused = append(refused, fmt.Sprintf(`row %d (admin3@c3.example): type "boss" is not one of reseller, delegated_admin, reseller_delegated_admin, partner, advisor, mpsa, line_of_business`, row))
		case 90:
			row++
			b.WriteString("gone@c0.example,advisor,,,,,\n")
			refused = append(refused, fmt.Sprintf("row %d (gone@c0.example): invitations to gone@c0.example are suppressed: it bounced repeatedly or reported our mail as spam (partnerlink suppressions lift)", row))
		case 120:
			row++
			b.WriteString("admin4@c4.example,advisor,,,,,\n")
			refused = append(refused, fmt.Sprintf("row %d (admin4@c4.example): repeats the request for admin4@c4.example (advisor) of invites.csv row 6", row))
		case 150:
			row++
			b.WriteString("admin5@c5.example,delegated_admin,,,,30d,yes\n")
			refused = append(refused, fmt.Sprintf("row %d (admin5@c5.example): auto_extend is not allowed with the global_admin role: leave out global_admin (roles) or auto_extend", row))
		}
	}
	return b.String(), refused
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInviteCSV(t *testing.T) {
	clearEnv(t)
	const n = 200
	w := newInviteWorld(t, n)
	content, refused := bulkCSV(n)
	file := writeFile(t, "invites.csv", content)
	args := []string{"invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--csv", file}
	wantOut := func(summary string) string { return strings.Join(refused, "\n") + "\n" + summary + "\n" }

	t.Run("dry run writes nothing", func(t *testing.T) {
		before := keys(t, w.srv.Client())
		r := runCmd(t, append(args, "--dry-run")...)
		if want := wantOut("205 rows: 200 would be invited, 0 already invited, 5 refused (see above); nothing was written (--dry-run)"); r.code != 3 || r.stdout != want {
			t.Errorf("want exit 3 and\n%s\ngot %v", want, r)
		}
		assertUnchanged(t, before, keys(t, w.srv.Client()))
	})

	r := runCmd(t, args...)
	if want := wantOut("205 rows: 200 invited, 0 already invited, 5 refused (see above)"); r.code != 3 || r.stdout != want {
		t.Fatalf("want exit 3 and\n%s\ngot %v", want, r)
	}
	if !strings.Contains(r.stderr, "partnerlink invite: 5 of 205 rows refused") {
		t.Errorf("stderr: %v", r)
	}
	var invs []partnerships.Invitation
	for cursor := ""; ; {
		page, next, err := w.store.PartnerInvitations(t.Context(), w.partner, partnerships.InvitationFilter{Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		invs = append(invs, page...)
		if cursor = next; next == "" {
			break
		}
	}
	var ids []string
	emails := map[string]bool{}
	for _, inv := range invs {
		ids = append(ids, inv.ID)
		emails[inv.Email] = true
		if inv.Type != partnerships.Advisor || inv.Status != partnerships.StatusPending {
			t.Errorf("invitation %+v", inv)
		}
	}
	slices.Sort(ids)
	if len(invs) != n || len(emails) != n {
		t.Errorf("%d invitations to %d addresses stored, want %d", len(invs), len(emails), n)
	}
	if got := w.queuedSends(t); !slices.Equal(got, ids) {
		t.Errorf("%d sends queued, want one for each of the %d invitations", len(got), len(ids))
	}

	t.Run("again: nothing new", func(t *testing.T) {
		before := keys(t, w.srv.Client())
		r := runCmd(t, args...)
		if want := wantOut("205 rows: 0 invited, 200 already invited, 5 refused (see above)"); r.code != 3 || r.stdout != want {
			t.Errorf("want exit 3 and\n%s\ngot %v", want, r)
		}
		assertUnchanged(t, before, keys(t, w.srv.Client()))
	})

	t.Run("fixed file: only the fixed rows are new", func(t *testing.T) {
		// The partner corrects the bad type, deletes the unknown address (so every
		// later row moves up one) and runs the file again.
		fixed := strings.Replace(content, "admin3@c3.example,boss,", "admin3@c3.example,reseller,", 1)
		fixed = strings.Replace(fixed, "nobody@nowhere.example,advisor,,,,,\n", "", 1)
		r := runCmd(t, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--csv", writeFile(t, "invites.csv", fixed))
		if !strings.HasSuffix(r.stdout, "\n204 rows: 1 invited, 200 already invited, 3 refused (see above)\n") || r.code != 3 {
			t.Errorf("%v", r)
		}
		if got := w.queuedSends(t); len(got) != n+1 {
			t.Errorf("%d sends queued, want %d", len(got), n+1)
		}
	})

	t.Run("again after a crash before queueing", func(t *testing.T) {
		// A run that stored an invitation and died before queueing its send: the
		// next run queues it.
		opt, _ := asynq.ParseRedisURI(w.srv.URL)
		insp := asynq.NewInspector(opt)
		defer insp.Close()
		tasks, err := insp.ListPendingTasks(jobs.QueueMail, asynq.PageSize(1))
		if err != nil || len(tasks) != 1 {
			t.Fatal(tasks, err)
		}
		if err := insp.DeleteTask(jobs.QueueMail, tasks[0].ID); err != nil {
			t.Fatal(err)
		}
		r := runCmd(t, args...)
		if r.code != 3 || !strings.HasSuffix(r.stdout, "205 rows: 0 invited, 200 already invited, 5 refused (see above)\n") {
			t.Errorf("%v", r)
		}
		if got := w.queuedSends(t); len(got) != n+1 || !slices.Equal(slices.DeleteFunc(got, func(id string) bool { return !slices.Contains(ids, id) }), ids) {
			t.Errorf("%d sends queued, want %d", len(got), n+1)
		}
	})
}

func TestInviteCSVAllGood(t *testing.T) {
	clearEnv(t)
	w := newInviteWorld(t, 3)
	file := writeFile(t, "ok.csv", "customer_email,relationship_type,roles\nadmin0@c0.example,delegated_admin,helpdesk_admin|global_admin\nadmin1@c1.example,reseller,\n")
	r := runCmd(t, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--csv", file)
	if r.code != 0 || r.stdout != "2 rows: 2 invited, 0 already invited, 0 refused\n" || r.stderr != "" {
		t.Errorf("%v", r)
	}
}

func TestInviteCSVUnusableFile(t *testing.T) {
	clearEnv(t)
	w := newInviteWorld(t, 2)
	tests := []struct {
		name, content string
		err           string
	}{
		{"missing column", "customer_email,roles\nadmin0@c0.example,\n",
			"the header row lacks relationship_type (want customer_email,relationship_type,roles,locale,message,duration,auto_extend)"},
		{"unknown column", "customer_email,relationship_type,colour\nadmin0@c0.example,advisor,red\n", `unknown column "colour"`},
		{"broken quoting", "customer_email,relationship_type\nadmin0@c0.example,advisor\n\"admin1@c1.example,advisor\n", "row 3: cannot read the row"},
		{"no rows", "customer_email,relationship_type\n", "has no rows after the header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := keys(t, w.srv.Client())
			r := runCmd(t, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--csv", writeFile(t, "bad.csv", tt.content))
			if r.code != 2 || !strings.Contains(r.stderr, tt.err) || r.stdout != "" {
				t.Errorf("want exit 2 and %q: %v", tt.err, r)
			}
			assertUnchanged(t, before, keys(t, w.srv.Client()))
		})
	}
	r := runCmd(t, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--csv", filepath.Join(t.TempDir(), "missing.csv"))
	if r.code != 2 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: %v", r)
	}
}

func TestInviteProgressLines(t *testing.T) {
	var out syncBuffer
	p := newProgress(&out, 1200)
	c := &bulkCounts{total: 1200}
	for c.done < 1200 {
		c.done++
		c.invited++
		p.update(c)
	}
	p.finish(c)
	want := "invite: 500 of 1,200 rows done (500 invited, 0 already invited, 0 refused)\n" +
		"invite: 1,000 of 1,200 rows done (1,000 invited, 0 already invited, 0 refused)\n"
	if out.String() != want {
		t.Errorf("progress on a pipe:\n%s\nwant\n%s", out.String(), want)
	}
	if got := bar(&bulkCounts{done: 450, refused: make([]rowRefusal, 3)}, 1000); got != "[#############-----------------] 450/1,000  45%  3 refused" {
		t.Errorf("bar = %q", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 2000: "2,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestUsageListsExitCodes(t *testing.T) {
	r := runCmd(t, "--help")
	for _, want := range []string{"Exit codes:", "  0  success", "  1  runtime error", "  2  usage or configuration error", "  3  refused"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("usage lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCmd(t, "invite", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Exit codes: 0 all invited; 1 runtime error") {
		t.Errorf("invite --help: %v", r)
	}
}

// BenchmarkInviteCSV invites a file of 2,000 rows (a new file each iteration, so
// nothing is "already invited"): go test ./cmd/partnerlink -run X -bench InviteCSV -benchtime 1x
func BenchmarkInviteCSV(b *testing.B) {
	const n = 2000
	w := newInviteWorld(b, n)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		var sb strings.Builder
		sb.WriteString("customer_email,relationship_type,message\n")
		for j := range n {
			fmt.Fprintf(&sb, "%s,advisor,run %d\n", customerEmail(j), i)
		}
		file := writeFile(b, "bench.csv", sb.String())
		b.StartTimer()
		r := runCmd(b, "invite", "--redis-url", w.srv.URL, "--partner", w.partner, "--csv", file)
		if r.code != 0 {
			b.Fatalf("%v", r)
		}
	}
}

// TestInviteCSVRedisGoneMidRun: when Redis goes away during a bulk run, the run
// stops with the row it failed on (a runtime error: exit 1, not a refusal).
func TestInviteCSVRedisGoneMidRun(t *testing.T) {
	clearEnv(t)
	w := newInviteWorld(t, 20)
	content, _ := bulkCSV(20)
	parsed, err := requests.ReadCSV("invites.csv", []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{RedisURL: w.srv.URL, InviteTTL: time.Hour}
	iv, err := openInviter(t.Context(), cfg, w.partner)
	if err != nil {
		t.Fatal(err)
	}
	defer iv.close()
	w.srv.Kill()
	var outcomes []rowOutcome
	err = iv.inviteAll(t.Context(), parsed.Requests, false, func(o rowOutcome) { outcomes = append(outcomes, o) })
	if err == nil || !regexp.MustCompile(`^row \d+ \(admin\d+@c\d+\.example\): `).MatchString(err.Error()) {
		t.Errorf("inviteAll with Redis gone = %v, want the failing row named", err)
	}
	if len(outcomes) != 0 {
		t.Errorf("rows counted although Redis is gone: %v", outcomes)
	}
	if got := summaryLine(&bulkCounts{total: 25, done: 3, invited: 3}, false, true); got != "25 rows: 3 invited, 0 already invited, 0 refused, 22 not done (stopped)" {
		t.Errorf("summary of a stopped run = %q", got)
	}
}
