package partnerships

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// dueEntries reads the whole due set as member → due time.
func dueEntries(t *testing.T, e *env) map[string]time.Time {
	t.Helper()
	zs, err := e.rdb.ZRangeWithScores(e.ctx, dueKey(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, z := range zs {
		out[z.Member.(string)] = time.UnixMilli(int64(z.Score)).UTC()
	}
	return out
}

func TestCreateInvitationSchedules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ttl       time.Duration
		reminders []time.Duration
		want      map[string]time.Duration // member suffix → before expiry
	}{
		{"14 days, default reminders", 14 * 24 * time.Hour, nil,
			map[string]time.Duration{"remind:%s:1": 168 * time.Hour, "remind:%s:2": 72 * time.Hour, "remind:%s:3": 24 * time.Hour, "expire:%s": 0}},
		{"2 days: only the last reminder fits", 48 * time.Hour, nil,
			map[string]time.Duration{"remind:%s:3": 24 * time.Hour, "expire:%s": 0}},
		{"seconds, unsorted offsets", 10 * time.Second, []time.Duration{2 * time.Second, 6 * time.Second},
			map[string]time.Duration{"remind:%s:1": 6 * time.Second, "remind:%s:2": 2 * time.Second, "expire:%s": 0}},
		{"no reminders", time.Hour, []time.Duration{},
			map[string]time.Duration{"expire:%s": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			e := newEnv(t)
			if tc.reminders != nil {
				WithReminders(tc.reminders)(e.s)
			}
			p, _ := e.partner("contoso")
			e.customer("fabrikam", "admin@fabrikam.example")
			inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: Advisor, Locale: "en", TTL: tc.ttl})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]time.Time{}
			for m, before := range tc.want {
				want[fmt.Sprintf(m, inv.ID)] = inv.ExpiresAt.Add(-before)
			}
			if diff := cmp.Diff(want, dueEntries(t, e)); diff != "" {
				t.Errorf("due set (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDueBy(t *testing.T) {
	e := newEnv(t)
	w := e.world() // 14 days: three reminders and the expiry
	now := e.clock.Now()
	got, err := e.s.DueBy(e.ctx, now, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("DueBy(now) = %v, %v; want nothing", got, err)
	}
	if err := e.rdb.ZAdd(e.ctx, dueKey(), redis.Z{Score: 1, Member: "bogus:entry"}).Err(); err != nil {
		t.Fatal(err)
	}
	got, err = e.s.DueBy(e.ctx, w.inv.ExpiresAt, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []Due{
		{Member: "bogus:entry", At: time.UnixMilli(1).UTC()},
		{Member: "remind:" + w.inv.ID + ":1", At: w.inv.ExpiresAt.Add(-168 * time.Hour), Kind: DueRemind, InvitationID: w.inv.ID, N: 1},
		{Member: "remind:" + w.inv.ID + ":2", At: w.inv.ExpiresAt.Add(-72 * time.Hour), Kind: DueRemind, InvitationID: w.inv.ID, N: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DueBy (-want +got):\n%s", diff)
	}
	if err := e.s.DueDone(e.ctx, "bogus:entry", want[1].Member); err != nil {
		t.Fatal(err)
	}
	if n := len(dueEntries(t, e)); n != 3 {
		t.Errorf("after DueDone %d entries remain, want 3", n)
	}
}

func TestParseDue(t *testing.T) {
	inv := "in_" + "aaaaaaaaaaaaaaaa" + "_" + "bbbbbbbbbbbbbbbb"
	cu, pa := "cu_aaaaaaaaaaaaaaaa", "pa_bbbbbbbbbbbbbbbb"
	for _, tc := range []struct {
		member string
		ok     bool
	}{
		{"remind:" + inv + ":1", true},
		{"remind:" + inv + ":0", false},
		{"remind:" + inv + ":11", false},
		{"remind:" + inv, false},
		{"expire:" + inv, true},
		{"expire:in_x", false},
		{"ending:" + cu + ":" + pa + ":1700000000000:7d", true},
		{"ending:" + cu + ":" + pa + ":1700000000000:2d", false},
		{"end:" + cu + ":" + pa + ":1700000000000", true},
		{"end:" + cu + ":" + pa + ":x", false},
		{"end:" + pa + ":" + cu + ":1700000000000", false},
		{"other:" + inv, false},
	} {
		_, err := ParseDue(tc.member)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDue(%q) = %v, want ok %v", tc.member, err, tc.ok)
		}
	}
}

func TestRecordReminder(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	if _, err := e.s.MarkSent(e.ctx, w.inv.ID, "<i@x>"); err != nil {
		t.Fatal(err)
	}
	inv, err := e.s.RecordReminder(e.ctx, w.inv.ID, 2)
	if err != nil || inv.Reminded != 2 {
		t.Fatalf("RecordReminder = %+v, %v", inv, err)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 1)
	if err != nil || len(events) != 1 || events[0].Action != ActionInvitationReminded || events[0].Actor != "system" || events[0].Detail != "reminder=2" {
		t.Errorf("audit = %+v, %v", events, err)
	}
	for _, n := range []int{1, 2} {
		before := snapshot(t, e.rdb)
		got, err := e.s.RecordReminder(e.ctx, w.inv.ID, n)
		if !errors.Is(err, ErrAlreadyReminded) || got.Reminded != 2 {
			t.Errorf("RecordReminder(%d) again = %d, %v; want ErrAlreadyReminded", n, got.Reminded, err)
		}
		unchanged(t, e.rdb, before)
	}
	if inv, err := e.s.RecordReminder(e.ctx, w.inv.ID, 3); err != nil || inv.Reminded != 3 {
		t.Errorf("RecordReminder(3) = %d, %v", inv.Reminded, err)
	}
}

func TestRecordReminderRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *env, w world)
		want  error
	}{
		{"pending", func(e *env, w world) {}, ErrNotOpen},
		{"accepted", func(e *env, w world) {
			e.sent(w)
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrNotOpen},
		{"declined", func(e *env, w world) {
			e.sent(w)
			if _, err := e.s.Decline(e.ctx, DeclineInput{InvitationID: w.inv.ID, TokenID: w.inv.TokenID, UserEmail: w.admin, IP: "192.0.2.1"}); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrNotOpen},
		{"bounced", func(e *env, w world) {
			e.sent(w)
			if _, err := e.s.MarkBounced(e.ctx, w.inv.ID, "550 unknown"); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrNotOpen},
		{"failed", func(e *env, w world) {
			if _, err := e.s.MarkFailed(e.ctx, w.inv.ID, "550 no"); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrNotOpen},
		{"past its expiry", func(e *env, w world) { e.sent(w); e.clock.Advance(15 * 24 * time.Hour) }, ErrExpired},
		{"expired", func(e *env, w world) {
			e.sent(w)
			e.clock.Advance(15 * 24 * time.Hour)
			if _, err := e.s.ExpireInvitation(e.ctx, w.inv.ID); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrNotOpen},
		{"stopped", func(e *env, w world) {
			e.sent(w)
			if _, err := e.s.StopReminders(e.ctx, w.inv.ID, "192.0.2.1", "ua"); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrRemindersStopped},
		{"gone", func(e *env, w world) {
			if err := e.rdb.Del(e.ctx, invitationKey(w.customer.ID, w.inv.ID)).Err(); err != nil {
				e.tb.Fatal(err)
			}
		}, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			e := newEnv(t)
			w := e.world()
			tc.setup(e, w)
			before := snapshot(t, e.rdb)
			if _, err := e.s.RecordReminder(e.ctx, w.inv.ID, 1); !errors.Is(err, tc.want) {
				t.Errorf("RecordReminder = %v, want %v", err, tc.want)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func (e *env) sent(w world) {
	e.tb.Helper()
	if _, err := e.s.MarkSent(e.ctx, w.inv.ID, "<i@x>"); err != nil {
		e.tb.Fatal(err)
	}
}

func TestExpireInvitation(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	e.sent(w)
	before := snapshot(t, e.rdb)
	if _, err := e.s.ExpireInvitation(e.ctx, w.inv.ID); !errors.Is(err, ErrNotDue) {
		t.Errorf("ExpireInvitation before its expiry: %v, want ErrNotDue", err)
	}
	unchanged(t, e.rdb, before)

	e.clock.Advance(14 * 24 * time.Hour)
	inv, err := e.s.ExpireInvitation(e.ctx, w.inv.ID)
	if err != nil || inv.Status != StatusExpired {
		t.Fatalf("ExpireInvitation = %v, %v", inv.Status, err)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 1)
	if err != nil || events[0].Action != ActionInvitationExpired || events[0].Actor != "system" || events[0].InvitationID != w.inv.ID {
		t.Errorf("audit = %+v, %v", events, err)
	}
	before = snapshot(t, e.rdb)
	if _, err := e.s.ExpireInvitation(e.ctx, w.inv.ID); !errors.Is(err, ErrNotOpen) {
		t.Errorf("ExpireInvitation again: %v, want ErrNotOpen", err)
	}
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); !errors.Is(err, ErrNotOpen) {
		t.Errorf("Accept after expiry: %v, want ErrNotOpen", err)
	}
	unchanged(t, e.rdb, before)
}

func TestStopReminders(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	e.sent(w)
	inv, err := e.s.StopReminders(e.ctx, w.inv.ID, "192.0.2.7:5555", "Mail client")
	if err != nil || !inv.RemindersStopped || inv.Status != StatusSent {
		t.Fatalf("StopReminders = %+v, %v", inv, err)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 1)
	if err != nil || events[0].Action != ActionInvitationRemindersStopped || events[0].Actor != w.admin || events[0].IP != "192.0.2.7" {
		t.Errorf("audit = %+v, %v", events, err)
	}
	before := snapshot(t, e.rdb)
	if again, err := e.s.StopReminders(e.ctx, w.inv.ID, "192.0.2.7", "x"); err != nil || !cmp.Equal(again, inv) {
		t.Errorf("StopReminders again = %+v, %v", again, err)
	}
	unchanged(t, e.rdb, before)
	// The invitation itself stays valid.
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
		t.Errorf("Accept after stopping reminders: %v", err)
	}
}

func TestDurationValidation(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	e.customer("fabrikam", "admin@fabrikam.example")
	for _, tc := range []struct {
		name       string
		typ        RelationshipType
		roles      []Role
		duration   time.Duration
		autoExtend bool
		field      string
	}{
		{"too short", Advisor, nil, 23 * time.Hour, false, "duration"},
		{"too long", Advisor, nil, MaxDuration + time.Hour, false, "duration"},
		{"negative", Advisor, nil, -24 * time.Hour, false, "duration"},
		{"auto_extend without duration", Advisor, nil, 0, true, "auto_extend"},
		{"auto_extend with global_admin", DelegatedAdmin, nil, 30 * 24 * time.Hour, true, "auto_extend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, e.rdb)
			_, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: tc.typ, Roles: tc.roles,
				Locale: "en", TTL: time.Hour, Duration: tc.duration, AutoExtend: tc.autoExtend})
			if !errors.Is(err, ErrInvalidInput) || !containsField(err, tc.field) {
				t.Errorf("err = %v, want ErrInvalidInput naming %s", err, tc.field)
			}
			unchanged(t, e.rdb, before)
		})
	}
	// auto_extend is fine when global_admin is left out.
	inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: DelegatedAdmin,
		Roles: []Role{HelpdeskAdmin}, Locale: "en", TTL: time.Hour, Duration: 30 * 24 * time.Hour, AutoExtend: true})
	if err != nil || inv.Duration != 30*24*time.Hour || !inv.AutoExtend {
		t.Fatalf("CreateInvitation = %+v, %v", inv, err)
	}
	if stored, err := e.s.Invitation(e.ctx, inv.ID); err != nil || !cmp.Equal(stored, inv) {
		t.Errorf("stored = %+v, %v; want %+v", stored, err, inv)
	}
}

func containsField(err error, field string) bool {
	return err != nil && strings.Contains(err.Error(), ": "+field+": ")
}

func TestTimeBoundRelationship(t *testing.T) {
	for _, autoExtend := range []bool{false, true} {
		t.Run(map[bool]string{false: "ends", true: "auto-extends"}[autoExtend], func(t *testing.T) {
			parallel(t)
			e := newEnv(t)
			p, _ := e.partner("contoso")
			c := e.customer("fabrikam", "admin@fabrikam.example")
			inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: Advisor,
				Locale: "en", TTL: time.Hour, Duration: 60 * 24 * time.Hour, AutoExtend: autoExtend})
			if err != nil {
				t.Fatal(err)
			}
			_, rel, err := e.s.Accept(e.ctx, acceptInput(inv, "admin@fabrikam.example"))
			if err != nil {
				t.Fatal(err)
			}
			ends := e.clock.Now().Truncate(time.Millisecond).Add(60 * 24 * time.Hour)
			if !rel.EndsAt.Equal(ends) || rel.AutoExtend != autoExtend {
				t.Fatalf("relationship = %+v; want ends %v auto-extend %v", rel, ends, autoExtend)
			}
			if stored, err := e.s.Relationship(e.ctx, c.ID, p.ID); err != nil || !cmp.Equal(stored, rel) {
				t.Errorf("stored = %+v, %v; want %+v", stored, err, rel)
			}
			due := dueEntries(t, e)
			for _, n := range EndingNotices {
				m := endingMember(c.ID, p.ID, ends, n.Detail)
				if at, ok := due[m]; !ok || !at.Equal(ends.Add(-n.Before)) {
					t.Errorf("due[%s] = %v, %v; want %v", m, at, ok, ends.Add(-n.Before))
				}
			}
			if at, ok := due[endMember(c.ID, p.ID, ends)]; !ok || !at.Equal(ends) {
				t.Errorf("end entry = %v, %v", at, ok)
			}

			// Refusals change nothing: not due yet, a stale end.
			before := snapshot(t, e.rdb)
			if _, _, err := e.s.EndTerm(e.ctx, c.ID, p.ID, ends); !errors.Is(err, ErrNotDue) {
				t.Errorf("EndTerm before the end: %v, want ErrNotDue", err)
			}
			e.clock.Advance(61 * 24 * time.Hour)
			if _, _, err := e.s.EndTerm(e.ctx, c.ID, p.ID, ends.Add(-time.Hour)); !errors.Is(err, ErrStaleSchedule) {
				t.Errorf("EndTerm with a stale end: %v, want ErrStaleSchedule", err)
			}
			if !autoExtend {
				unchanged(t, e.rdb, before) // with auto-extend the next term's entries are written first
			}

			got, extended, err := e.s.EndTerm(e.ctx, c.ID, p.ID, ends)
			if err != nil || extended != autoExtend {
				t.Fatalf("EndTerm = %+v, %v, %v", got, extended, err)
			}
			events, _ := e.s.Audit(e.ctx, c.ID, 1)
			if autoExtend {
				next := ends.Add(ExtendBy)
				if !got.EndsAt.Equal(next) || len(got.Roles) != 1 {
					t.Errorf("extended relationship = %+v, want ends %v with its roles", got, next)
				}
				if _, ok := dueEntries(t, e)[endMember(c.ID, p.ID, next)]; !ok {
					t.Errorf("the next end is not scheduled")
				}
				if events[0].Action != ActionRelationshipExtended {
					t.Errorf("audit = %+v", events[0])
				}
			} else {
				if len(got.Roles) != 0 || got.ExpiredAt.IsZero() {
					t.Errorf("ended relationship = %+v, want no roles", got)
				}
				if events[0].Action != ActionRelationshipExpired || events[0].Actor != "system" || events[0].Detail != "roles_removed=helpdesk_admin" {
					t.Errorf("audit = %+v", events[0])
				}
				before := snapshot(t, e.rdb)
				if _, _, err := e.s.EndTerm(e.ctx, c.ID, p.ID, ends); !errors.Is(err, ErrStaleSchedule) {
					t.Errorf("second EndTerm: %v, want ErrStaleSchedule", err)
				}
				unchanged(t, e.rdb, before)
			}
		})
	}
}
