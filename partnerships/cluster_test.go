package partnerships

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// crc16 is CRC16-XMODEM (polynomial 0x1021, initial 0), Redis Cluster's key hash.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is Redis Cluster's hash slot of key: only the part between the first "{"
// and the next "}" counts, if that part is not empty.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16([]byte(key)) % 16384)
}

func TestKeySlot(t *testing.T) {
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Errorf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	for _, tc := range []struct{ a, b string }{
		{"pl:{cu_x}:inv:1", "cu_x"},
		{"{user1000}.following", "{user1000}.followers"},
		{"foo{}{bar}", "foo{}{bar}"}, // empty tag: the whole key
		{"foo{{bar}}zap", "{bar"},
		{"foo{bar}{zap}", "bar"},
	} {
		if keySlot(tc.a) != keySlot(tc.b) {
			t.Errorf("keySlot(%q) = %d, keySlot(%q) = %d; want equal", tc.a, keySlot(tc.a), tc.b, keySlot(tc.b))
		}
	}
}

// exerciseAllScripts runs every script at least once through the Store's methods,
// including the clean-up paths, and checks the reads that follow.
func exerciseAllScripts(t *testing.T, e *env) {
	t.Helper()
	ctx := e.ctx
	p, key := e.partner("contoso")
	if _, err := e.s.AddAPIKey(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.PartnerByAPIKey(ctx, key); err != nil || got.ID != p.ID {
		t.Fatalf("PartnerByAPIKey = %v, %v", got, err)
	}
	c := e.customer("fabrikam", "admin@fabrikam.example")
	e.user(c.ID, "billing@fabrikam.example", BillingAdmin)

	// drop_customer: the admin's email is claimed while the customer is written.
	e.hooks.setBefore("create_customer", func() {
		if err := e.rdb.HSet(ctx, emailsKey(), "race@fabrikam.example", c.ID).Err(); err != nil {
			t.Error(err)
		}
	})
	if _, err := e.s.CreateCustomer(ctx, "Rival", "", CustomerUser{Email: "race@fabrikam.example", Role: GlobalAdmin}); !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("CreateCustomer losing its claim: err = %v, want ErrAlreadyExists", err)
	}
	e.hooks.setBefore("create_customer", nil)

	// release_email: the customer disappears between the claim and the write.
	d := e.customer("northwind", "admin@northwind.example")
	e.hooks.setBefore("add_user", func() {
		if err := e.rdb.Rename(ctx, customerKey(d.ID), customerKey(d.ID)+":gone").Err(); err != nil {
			t.Error(err)
		}
	})
	if err := e.s.AddCustomerUser(ctx, CustomerUser{CustomerID: d.ID, Email: "x@northwind.example", Role: User}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AddCustomerUser to a vanished customer: err = %v, want ErrNotFound", err)
	}
	e.hooks.setBefore("add_user", nil)

	inv := e.invite(p.ID, "admin@fabrikam.example", ResellerDelegatedAdmin)
	// faults: send_attempt before SMTP, then mark_sent marks it accepted.
	if rec, err := e.s.RecordSendAttempt(ctx, inv.ID, "<1@x>"); err != nil || rec.State != SendNotTried {
		t.Fatalf("RecordSendAttempt = %+v, %v", rec, err)
	}
	if _, err := e.s.MarkSent(ctx, inv.ID, "<1@x>"); err != nil {
		t.Fatal(err)
	}
	if rec, err := e.s.RecordSendAttempt(ctx, inv.ID, "<1@x>"); err != nil || rec.State != SendAccepted || rec.Attempts != 1 {
		t.Fatalf("RecordSendAttempt after MarkSent = %+v, %v; want accepted after 1 attempt", rec, err)
	}
	acc, rel, err := e.s.Accept(ctx, acceptInput(inv, "billing@fabrikam.example"))
	if err != nil {
		t.Fatal(err)
	}
	declined := e.invite(p.ID, "admin@fabrikam.example", Reseller)
	if _, err := e.s.Decline(ctx, DeclineInput{InvitationID: declined.ID, TokenID: declined.TokenID, UserEmail: "admin@fabrikam.example", IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	failed := e.invite(p.ID, "admin@fabrikam.example", Advisor)
	if _, err := e.s.MarkFailed(ctx, failed.ID, "550 no"); err != nil {
		t.Fatal(err)
	}

	// The reads, which on Redis Cluster pipeline across slots.
	if all, err := e.s.Partners(ctx); err != nil || len(all) != 1 {
		t.Errorf("Partners = %v, %v", all, err)
	}
	if all, err := e.s.Customers(ctx); err != nil || len(all) != 1 || all[0].ID != c.ID {
		t.Errorf("Customers = %v, %v; want just %s (the other one vanished)", all, err, c.ID)
	}
	if users, err := e.s.Admins(ctx, c.ID); err != nil || len(users) != 2 {
		t.Errorf("Admins = %v, %v", users, err)
	}
	if u, err := e.s.UserByEmail(ctx, "billing@fabrikam.example"); err != nil || u.Role != BillingAdmin {
		t.Errorf("UserByEmail = %v, %v", u, err)
	}
	if invs, err := e.s.InvitationsByCustomer(ctx, c.ID); err != nil || len(invs) != 3 {
		t.Errorf("InvitationsByCustomer = %v, %v", invs, err)
	}
	if got, err := e.s.Relationships(ctx, c.ID); err != nil || !cmp.Equal([]Relationship{rel}, got) {
		t.Errorf("Relationships = %v, %v", got, err)
	}
	if got, err := e.s.Acceptances(ctx, c.ID); err != nil || !cmp.Equal([]Acceptance{acc}, got) {
		t.Errorf("Acceptances = %v, %v", got, err)
	}
	if events, err := e.s.Audit(ctx, c.ID, 100); err != nil || len(events) != 8 {
		t.Errorf("Audit = %d events, %v; want 8", len(events), err)
	}

	// Partner requests by email: set_request_secret, and create_invitation with an
	// idempotency key (after the reads above, so their counts stay as they are).
	secret, err := e.s.RequestSecret(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.PartnerByRequestSecret(ctx, secret); err != nil || got.ID != p.ID {
		t.Errorf("PartnerByRequestSecret = %v, %v", got, err)
	}
	if got, err := e.s.PartnerByContact(ctx, p.ContactEmail); err != nil || got.ID != p.ID {
		t.Errorf("PartnerByContact = %v, %v", got, err)
	}
	idem := NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: MPSA, Locale: "en", TTL: time.Hour, IdempotencyKey: "k1"}
	if a, err := e.s.CreateInvitation(ctx, idem); err != nil {
		t.Fatal(err)
	} else if b, err := e.s.CreateInvitation(ctx, idem); err != nil || b.ID != a.ID {
		t.Errorf("idempotent CreateInvitation = %s, %v; want %s", b.ID, err, a.ID)
	}

	// Bounces: close_open (bounced), record_hard_bounce and lift_suppression (after the
	// reads above, so their counts stay as they are).
	bounced := e.invite(p.ID, "admin@fabrikam.example", Reseller)
	if got, err := e.s.MarkBounced(ctx, bounced.ID, "550 5.1.1 user unknown"); err != nil || got.Status != StatusBounced {
		t.Errorf("MarkBounced = %v, %v", got.Status, err)
	}
	for _, key := range []string{"in_gone1", "in_gone2"} {
		if _, _, err := e.s.RecordHardBounce(ctx, "gone@fabrikam.example", key); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := e.s.Suppressions(ctx); err != nil || len(list) != 1 {
		t.Errorf("Suppressions = %v, %v", list, err)
	}
	if err := e.s.LiftSuppression(ctx, "gone@fabrikam.example"); err != nil {
		t.Errorf("LiftSuppression = %v", err)
	}

	// Customer portal: start_session, request_agreement, sign_agreement, remove_roles.
	if _, err := e.s.StartSession(ctx, StartSessionInput{Email: "admin@fabrikam.example",
		SignInTokenID: strings.Repeat("a", 32), SignInExpires: e.clock.Now().Add(time.Minute)}); err != nil {
		t.Errorf("StartSession = %v", err)
	}
	if err := e.s.RequestAgreement(ctx, RequestAgreementInput{CustomerID: c.ID, PartnerID: p.ID, Version: "2027-01", IP: "192.0.2.1"}); err != nil {
		t.Errorf("RequestAgreement = %v", err)
	}
	actor := ActorInput{CustomerID: c.ID, PartnerID: p.ID, UserEmail: "admin@fabrikam.example", IP: "192.0.2.1"}
	if _, err := e.s.SignAgreement(ctx, SignAgreementInput{ActorInput: actor, Agreement: AgreementRef{Version: "2027-01", Locale: "en", SHA256: testAgreement.SHA256}}); err != nil {
		t.Errorf("SignAgreement = %v", err)
	}
	if _, _, err := e.s.RemoveRoles(ctx, actor); err != nil {
		t.Errorf("RemoveRoles = %v", err)
	}
	// Partner API lifecycle (api helper): revoke_invitation, resend_invitation (the
	// same invitation, and a new one replacing an expired one), end_relationship.
	revoked := e.invite(p.ID, "admin@fabrikam.example", Advisor)
	if got, err := e.s.RevokeInvitation(ctx, p.ID, revoked.ID, Origin{IP: "192.0.2.1"}); err != nil || got.Status != StatusRevoked {
		t.Errorf("RevokeInvitation = %v, %v", got.Status, err)
	}
	again := e.invite(p.ID, "admin@fabrikam.example", LineOfBusiness)
	if got, err := e.s.ResendInvitation(ctx, p.ID, again.ID, time.Hour, Origin{}); err != nil || got.Invitation.ID != again.ID {
		t.Errorf("ResendInvitation (same) = %+v, %v", got, err)
	}
	e.clock.Advance(15 * 24 * time.Hour)
	if got, err := e.s.ResendInvitation(ctx, p.ID, again.ID, time.Hour, Origin{}); err != nil || got.Replaced != again.ID {
		t.Errorf("ResendInvitation (new) = %+v, %v", got, err)
	}
	if list, _, err := e.s.PartnerInvitations(ctx, p.ID, InvitationFilter{Limit: 100}); err != nil || len(list) < 3 {
		t.Errorf("PartnerInvitations = %d, %v", len(list), err)
	}
	if rels, _, err := e.s.PartnerRelationships(ctx, p.ID, 10, ""); err != nil || len(rels) != 1 {
		t.Errorf("PartnerRelationships = %v, %v", rels, err)
	}
	if _, _, err := e.s.EndRelationship(ctx, p.ID, c.ID, Origin{IP: "192.0.2.1"}); err != nil {
		t.Errorf("EndRelationship = %v", err)
	}
	// Scheduler (sched): remind, stop_reminders, expire_invitation, end_term.
	reminded := e.invite(p.ID, "admin@fabrikam.example", MPSA)
	if _, err := e.s.MarkSent(ctx, reminded.ID, "<r@x>"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.RecordReminder(ctx, reminded.ID, 1); err != nil || got.Reminded != 1 {
		t.Errorf("RecordReminder = %v, %v", got.Reminded, err)
	}
	if got, err := e.s.StopReminders(ctx, reminded.ID, "192.0.2.9", "ua"); err != nil || !got.RemindersStopped {
		t.Errorf("StopReminders = %v, %v", got.RemindersStopped, err)
	}
	timed, err := e.s.CreateInvitation(ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example",
		Type: Advisor, Locale: "en", TTL: time.Hour, Duration: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.MarkSent(ctx, timed.ID, "<t@x>"); err != nil {
		t.Fatal(err)
	}
	_, timedRel, err := e.s.Accept(ctx, acceptInput(timed, "admin@fabrikam.example"))
	if err != nil || timedRel.EndsAt.IsZero() {
		t.Fatalf("Accept of a time-bound invitation = %+v, %v", timedRel, err)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	if got, err := e.s.ExpireInvitation(ctx, reminded.ID); err != nil || got.Status != StatusExpired {
		t.Errorf("ExpireInvitation = %v, %v", got.Status, err)
	}
	if got, extended, err := e.s.EndTerm(ctx, c.ID, p.ID, timedRel.EndsAt); err != nil || extended || len(got.Roles) != 0 {
		t.Errorf("EndTerm = %+v, %v, %v", got, extended, err)
	}
	// Complaints (deliver): suppress_complaint.
	if newly, err := e.s.SuppressComplaint(ctx, "angry@fabrikam.example", "abuse"); err != nil || !newly {
		t.Errorf("SuppressComplaint = %t, %v", newly, err)
	}

	// Directory: update_profile and create_lead.
	listed := true
	if _, err := e.s.UpdatePartnerProfile(ctx, p.ID, ProfileUpdate{Listed: &listed, Sizes: &[]string{"1-10"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.CreateLead(ctx, NewLead{PartnerIDs: []string{p.ID}, Name: "Ann", Email: "ann@example.com",
		Organisation: "Tailspin", Message: "We need help", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
}

// scriptNames lists the embedded scripts.
func scriptNames(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(scriptFiles, "scripts/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded scripts: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".lua"))
	}
	return names
}

// checkScriptCalls checks every recorded script run got keys of one hash slot, and
// that every script ran.
func checkScriptCalls(t *testing.T, calls []scriptCall, slot func(string) int) {
	t.Helper()
	ran := map[string]bool{}
	for _, c := range calls {
		ran[c.script] = true
		if len(c.keys) == 0 {
			t.Errorf("%s ran without keys", c.script)
			continue
		}
		want := slot(c.keys[0])
		for _, k := range c.keys[1:] {
			if got := slot(k); got != want {
				t.Errorf("%s: key %s is in slot %d, key %s in slot %d", c.script, c.keys[0], want, k, got)
			}
		}
	}
	for _, name := range scriptNames(t) {
		if !ran[name] {
			t.Errorf("script %s never ran", name)
		}
	}
}

func TestScriptKeysShareOneSlot(t *testing.T) {
	e := newEnv(t)
	exerciseAllScripts(t, e)
	checkScriptCalls(t, e.hooks.recorded(), keySlot)
}

// TestScriptsTouchOnlyTheirKEYS reads the scripts: each has the "#!lua" shebang (so a
// cluster node refuses cross-slot access), names each KEYS[i] once as a local, and
// passes only those locals (or KEYS[i]) as the key of every redis.call. No key name
// is built in Lua, and no script reads the server's clock.
func TestScriptsTouchOnlyTheirKEYS(t *testing.T) {
	for _, name := range scriptNames(t) {
		src, err := scriptSource(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range lintScript(src) {
			t.Errorf("%s: %s", name, problem)
		}
	}

	// The checker catches what it is for.
	for _, bad := range []string{
		"redis.call('GET', KEYS[1])",                                         // no shebang
		"#!lua\nreturn redis.call('GET', 'pl:{cu_x}:customer')",              // literal key
		"#!lua\nreturn redis.call('GET', KEYS[1] .. ':x')",                   // derived key
		"#!lua\nlocal k = KEYS[1]\nk = 'other'\nreturn redis.call('GET', k)", // reassigned
		"#!lua\nlocal k = ARGV[1]\nreturn redis.call('GET', k)",              // key from ARGV
		"#!lua\nreturn redis.call('TIME')",                                   // server clock
	} {
		if len(lintScript(bad)) == 0 {
			t.Errorf("lintScript passed %q", bad)
		}
	}
}

var (
	luaComment  = regexp.MustCompile(`--[^\n]*`)
	luaKeyAlias = regexp.MustCompile(`(?m)^local (\w+) = KEYS\[\d+\]$`)
	luaCall     = regexp.MustCompile(`redis\.p?call\(\s*'([A-Z]+)'\s*(?:,\s*([^,)]+))?`)
	luaKEYS     = regexp.MustCompile(`^KEYS\[\d+\]$`)
	luaTagged   = regexp.MustCompile(`['"][^'"\n]*\{[^'"\n]*\}[^'"\n]*['"]`) // a hash tag in a string
	luaConcat   = regexp.MustCompile(`KEYS\[\d+\]\s*\.\.|\.\.\s*KEYS\[`)
)

// lintScript lists the ways src may touch keys it was not given.
func lintScript(src string) []string {
	var problems []string
	if !strings.HasPrefix(src, "#!lua\n") {
		problems = append(problems, "does not start with the #!lua shebang")
	}
	code := luaComment.ReplaceAllString(src, "")
	keys := map[string]bool{}
	for _, m := range luaKeyAlias.FindAllStringSubmatch(code, -1) {
		keys[m[1]] = true
		if n := len(regexp.MustCompile(`\b`+m[1]+`\s*=[^=]`).FindAllString(code, -1)); n != 1 {
			problems = append(problems, fmt.Sprintf("key variable %s is assigned %d times, want once", m[1], n))
		}
	}
	calls := luaCall.FindAllStringSubmatch(code, -1)
	if len(calls) != strings.Count(code, "redis.call(")+strings.Count(code, "redis.pcall(") {
		problems = append(problems, fmt.Sprintf("could not read all redis.call uses (%d found)", len(calls)))
	}
	for _, m := range calls {
		if m[1] == "TIME" {
			problems = append(problems, "reads the server's clock")
			continue
		}
		if arg := strings.TrimSpace(m[2]); !keys[arg] && !luaKEYS.MatchString(arg) {
			problems = append(problems, fmt.Sprintf("%s on %q, which is not one of the script's KEYS", m[1], arg))
		}
	}
	if luaTagged.MatchString(code) || strings.Contains(code, "pl:") || luaConcat.MatchString(code) {
		problems = append(problems, "builds a key name in Lua")
	}
	return problems
}

// TestOnRedisCluster runs the store on a one-node Redis Cluster: there Redis itself
// refuses a "#!lua" script that touches keys of two slots, and the reads go through
// go-redis's cluster client.
func TestOnRedisCluster(t *testing.T) {
	srv := testredis.Start(t, "--cluster-enabled", "yes")
	node := srv.Client()
	if err := node.Do(t.Context(), "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := node.ClusterInfo(t.Context()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster never became ok: %v %s", err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}})
	t.Cleanup(func() { cluster.Close() })

	// The guard this test relies on: a script touching a second slot is refused.
	bad := redis.NewScript("#!lua\nredis.call('SET', KEYS[1], 1)\nreturn redis.call('SET', 'pl:{elsewhere}:x', 1)")
	if err := bad.Run(t.Context(), cluster, []string{"pl:{here}:x"}).Err(); err == nil || !strings.Contains(err.Error(), "same slot") {
		t.Fatalf("cross-slot script on the cluster: err = %v, want a same-slot refusal", err)
	}

	e := newEnvOn(t, srv, node)
	e.s = NewStore(cluster, WithClock(e.clock.Now), withObserver(e.hooks.observe))
	exerciseAllScripts(t, e)

	calls := e.hooks.recorded()
	checkScriptCalls(t, calls, keySlot)
	for _, c := range calls {
		for _, k := range c.keys {
			slot, err := node.ClusterKeySlot(t.Context(), k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if int(slot) != keySlot(k) {
				t.Errorf("CLUSTER KEYSLOT %s = %d, keySlot = %d", k, slot, keySlot(k))
			}
		}
	}
	if slices.ContainsFunc(calls, func(c scriptCall) bool { return c.script == "" }) {
		t.Error("unnamed script run")
	}
}
