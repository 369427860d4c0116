package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// clock is a settable clock shared by a test's store and scheduler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// schedEnv is env with a store on a test clock and the scheduler's handlers.
type schedEnv struct {
	*env
	clock    *clock
	enq      *Enqueuer
	mux      *asynq.ServeMux
	reminder *Reminder
}

func newSchedEnv(tb testing.TB, reminders ...time.Duration) *schedEnv {
	tb.Helper()
	e := &schedEnv{env: newEnv(tb), clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	opts := []partnerships.Option{partnerships.WithClock(e.clock.Now)}
	if reminders != nil {
		opts = append(opts, partnerships.WithReminders(reminders))
	}
	e.store = partnerships.NewStore(e.rdb, opts...)
	e.sender = e.newSender(e.mail)
	e.enq = NewEnqueuer(e.client(tb))
	e.reminder = NewReminder(e.store, e.tpl, e.mail, e.ring, e.links, testDomain, e.log)
	e.mux = NewMux(e.sender, DueRoutes(e.reminder, NewExpirer(e.store, e.enq, e.log), NewTermKeeper(e.store, e.enq, e.log))...)
	return e
}

func (e *schedEnv) scheduler(batch int) *Scheduler {
	return NewScheduler(e.store, e.rdb, e.enq, SchedulerConfig{Interval: time.Second, Batch: batch, Now: e.clock.Now}, e.log)
}

// inviteSent stores an invitation with ttl and marks it sent.
func (e *schedEnv) inviteSent(tb testing.TB, in partnerships.NewInvitation) partnerships.Invitation {
	tb.Helper()
	in.PartnerID, in.Email, in.Locale = e.partner.ID, adminEmail, "en"
	if in.Type == "" {
		in.Type = partnerships.Advisor
	}
	inv, err := e.store.CreateInvitation(context.Background(), in)
	if err != nil {
		tb.Fatal(err)
	}
	if inv, err = e.store.MarkSent(context.Background(), inv.ID, "<invitation."+inv.ID+"@partnerlink.test>"); err != nil {
		tb.Fatal(err)
	}
	return inv
}

// queued lists the pending tasks of the mail queue by task id.
func (e *schedEnv) queued(tb testing.TB) map[string]*asynq.TaskInfo {
	tb.Helper()
	insp := e.inspector(tb)
	out := map[string]*asynq.TaskInfo{}
	for page := 1; ; page++ {
		infos, err := insp.ListPendingTasks(QueueMail, asynq.PageSize(1000), asynq.Page(page))
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			tb.Fatal(err)
		}
		for _, i := range infos {
			if _, dup := out[i.ID]; dup {
				tb.Errorf("task %s listed twice", i.ID)
			}
			out[i.ID] = i
		}
		if len(infos) < 1000 {
			return out
		}
	}
}

// runDue runs every pending scheduler task with the real handlers, as a worker
// would, and deletes it from the queue; it leaves other tasks (notifications).
func (e *schedEnv) runDue(tb testing.TB) {
	tb.Helper()
	insp := e.inspector(tb)
	for id, info := range e.queued(tb) {
		if !strings.HasPrefix(id, "due:") {
			continue
		}
		if err := e.mux.ProcessTask(context.Background(), asynq.NewTask(info.Type, info.Payload)); err != nil {
			tb.Errorf("%s: %v", id, err)
		}
		if err := insp.DeleteTask(QueueMail, id); err != nil {
			tb.Fatal(err)
		}
	}
}

// events returns the notifications queued, by kind and detail.
func (e *schedEnv) events(tb testing.TB) []Event {
	tb.Helper()
	var out []Event
	for _, info := range e.queued(tb) {
		if info.Type != TypeNotify {
			continue
		}
		var ev Event
		if err := json.Unmarshal(info.Payload, &ev); err != nil {
			tb.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func dueCount(tb testing.TB, e *schedEnv) int64 {
	tb.Helper()
	n, err := e.rdb.ZCard(context.Background(), "pl:{schedule}:due").Result()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestTwoSchedulersEnqueueEachDueOnce runs two schedulers at once against one
// Redis, with their lock (Run) and without it (Sweep alone, as when a lock
// holder stalls past its TTL): every due entry becomes exactly one task.
func TestTwoSchedulersEnqueueEachDueOnce(t *testing.T) {
	for _, withLock := range []bool{true, false} {
		t.Run(map[bool]string{true: "with lock", false: "sweeps racing"}[withLock], func(t *testing.T) {
			e := newSchedEnv(t, 8*time.Second, 4*time.Second)
			const n = 60
			for range n {
				e.inviteSent(t, partnerships.NewInvitation{TTL: 10 * time.Second})
			}
			if got := dueCount(t, e); got != 3*n {
				t.Fatalf("due set holds %d entries, want %d", got, 3*n)
			}
			e.clock.Advance(11 * time.Second)
			a, b := e.scheduler(7), e.scheduler(7)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, s := range []*Scheduler{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if withLock {
						if err := s.Run(ctx); err != nil {
							t.Error(err)
						}
						return
					}
					if _, err := s.Sweep(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			eventually(t, "an empty due set", func() bool { return dueCount(t, e) == 0 })
			if !withLock {
				// Each sweep returns by itself. The set empties when one sweep marks
				// its last batch done, while the other may still be enqueueing that
				// batch (finding it queued): cancelling then would fail that sweep.
				wg.Wait()
			}
			if withLock {
				holder, err := e.rdb.Get(ctx, schedulerLockKey).Result()
				if err != nil || (holder != a.lock.token && holder != b.lock.token) {
					t.Errorf("lock holder = %q, %v; want one of the schedulers", holder, err)
				}
			}
			cancel()
			wg.Wait()
			if withLock {
				if n, _ := e.rdb.Exists(context.Background(), schedulerLockKey).Result(); n != 0 {
					t.Errorf("the lock outlived its holder's stop")
				}
			}
			tasks := e.queued(t)
			if len(tasks) != 3*n {
				t.Errorf("%d tasks queued, want %d (each due entry once)", len(tasks), 3*n)
			}
			kinds := map[string]int{}
			for id, info := range tasks {
				if !strings.HasPrefix(id, "due:") {
					t.Errorf("unexpected task %s", id)
				}
				kinds[info.Type]++
			}
			if kinds[TypeRemind] != 2*n || kinds[TypeExpire] != n {
				t.Errorf("tasks by type = %v, want %d reminders and %d expiries", kinds, 2*n, n)
			}
		})
	}
}

// TestSweepTakesOnlyDue leaves entries due later, drops malformed ones, and keeps
// entries whose enqueue failed.
func TestSweepTakesOnlyDue(t *testing.T) {
	e := newSchedEnv(t, 4*time.Second)
	inv := e.inviteSent(t, partnerships.NewInvitation{TTL: 10 * time.Second})
	if err := e.rdb.ZAdd(context.Background(), "pl:{schedule}:due", redisZ(0, "garbage")).Err(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(7 * time.Second) // the reminder is due, the expiry is not
	n, err := e.scheduler(100).Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 (the reminder and the malformed entry)", n, err)
	}
	tasks := e.queued(t)
	if _, ok := tasks["due:remind:"+inv.ID+":1"]; !ok || len(tasks) != 1 {
		t.Errorf("tasks = %v, want just the reminder", tasks)
	}
	if got := dueCount(t, e); got != 1 {
		t.Errorf("%d entries left, want the expiry", got)
	}
	// The queue refuses (Redis gone for asynq): the entry stays for the next sweep.
	e.clock.Advance(10 * time.Second)
	broken := NewScheduler(e.store, e.rdb, failingEnqueuer{}, SchedulerConfig{Now: e.clock.Now}, e.log)
	if _, err := broken.Sweep(context.Background()); err == nil {
		t.Error("Sweep with a failing queue: no error")
	}
	if got := dueCount(t, e); got != 1 {
		t.Errorf("%d entries left after a failed enqueue, want 1", got)
	}
}

type failingEnqueuer struct{}

func (failingEnqueuer) EnqueueDue(context.Context, partnerships.Due) error {
	return errors.New("queue down")
}

// TestReminderSent sends a reminder with the invitation's own link and a
// one-click stop link; the same task delivered again sends nothing.
func TestReminderSent(t *testing.T) {
	e := newSchedEnv(t)
	inv := e.inviteSent(t, partnerships.NewInvitation{TTL: 14 * 24 * time.Hour})
	e.clock.Advance(7*24*time.Hour + time.Second)
	if n, err := e.scheduler(10).Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want the first reminder", n, err)
	}
	e.runDue(t)
	msgs := e.messages(t, 1)
	m := msgs[0]
	if m.To[0] != adminEmail || !strings.HasPrefix(m.Subject, "Reminder: ") || m.MessageID != "<reminder1."+inv.ID+"@"+testDomain+">" {
		t.Errorf("reminder = to %v subject %q id %s", m.To, m.Subject, m.MessageID)
	}
	_, token := inviteLink(t, m.Text)
	e.checkToken(t, token, inv)
	unsub := m.Header.Get("List-Unsubscribe")
	if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(unsub, "<"+testBase+"/reminders/stop/") {
		t.Fatalf("List-Unsubscribe = %q, List-Unsubscribe-Post = %q", unsub, m.Header.Get("List-Unsubscribe-Post"))
	}
	stop := strings.TrimSuffix(strings.TrimPrefix(unsub, "<"+testBase+"/reminders/stop/"), ">")
	c, err := e.ring.Verify(stop, tokens.PurposeStopReminders)
	if err != nil || c.Subject != inv.ID || c.ID != StopRemindersClaims(inv).ID {
		t.Errorf("stop token = %+v, %v", c, err)
	}
	if !strings.Contains(m.Text, testBase+"/reminders/stop/"+stop) {
		t.Errorf("the text part lacks the stop link")
	}
	if got := e.invitation(t, inv.ID); got.Reminded != 1 {
		t.Errorf("Reminded = %d, want 1", got.Reminded)
	}

	// Delivered again (a fresh task, not a retry): nothing more is sent.
	task := asynq.NewTask(TypeRemind, []byte(`{"entry":"remind:`+inv.ID+`:1"}`))
	if err := e.reminder.ProcessTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sink.Messages()); n != 1 {
		t.Errorf("%d messages after a redelivery, want 1", n)
	}
}

// TestReminderNothingToSend: no reminder after accept, decline, bounce, failure,
// expiry or a stop, nor before the invitation was sent.
func TestReminderNothingToSend(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		then func(e *schedEnv, inv partnerships.Invitation) error
	}{
		{"accepted", func(e *schedEnv, inv partnerships.Invitation) error {
			_, _, err := e.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail,
				Agreement: partnerships.AgreementRef{Version: "1", Locale: "en", SHA256: strings.Repeat("a", 64)}, IP: "192.0.2.1"})
			return err
		}},
		{"declined", func(e *schedEnv, inv partnerships.Invitation) error {
			_, err := e.store.Decline(ctx, partnerships.DeclineInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail, IP: "192.0.2.1"})
			return err
		}},
		{"bounced", func(e *schedEnv, inv partnerships.Invitation) error {
			_, err := e.store.MarkBounced(ctx, inv.ID, "550 5.1.1 unknown")
			return err
		}},
		{"failed", func(e *schedEnv, inv partnerships.Invitation) error {
			_, err := e.store.MarkFailed(ctx, inv.ID, "550 no")
			return err
		}},
		{"expired", func(e *schedEnv, inv partnerships.Invitation) error {
			e.clock.Advance(15 * 24 * time.Hour)
			_, err := e.store.ExpireInvitation(ctx, inv.ID)
			return err
		}},
		{"past expiry", func(e *schedEnv, inv partnerships.Invitation) error {
			e.clock.Advance(15 * 24 * time.Hour)
			return nil
		}},
		{"stopped", func(e *schedEnv, inv partnerships.Invitation) error {
			_, err := e.store.StopReminders(ctx, inv.ID, "192.0.2.1", "")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newSchedEnv(t)
			inv := e.inviteSent(t, partnerships.NewInvitation{TTL: 14 * 24 * time.Hour})
			if err := tc.then(e, inv); err != nil {
				t.Fatal(err)
			}
			for n := 1; n <= 3; n++ {
				task := asynq.NewTask(TypeRemind, []byte(`{"entry":"remind:`+inv.ID+`:`+string(rune('0'+n))+`"}`))
				if err := e.reminder.ProcessTask(ctx, task); err != nil {
					t.Errorf("reminder %d: %v", n, err)
				}
			}
			e.noMessages(t)
			if got := e.invitation(t, inv.ID); got.Reminded != 0 {
				t.Errorf("Reminded = %d, want 0", got.Reminded)
			}
		})
	}
}

// TestExpireTask expires an open invitation once and tells its partner once.
func TestExpireTask(t *testing.T) {
	e := newSchedEnv(t)
	inv := e.inviteSent(t, partnerships.NewInvitation{TTL: time.Hour})
	e.clock.Advance(time.Hour)
	if _, err := e.scheduler(10).Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.runDue(t)
	if got := e.invitation(t, inv.ID); got.Status != partnerships.StatusExpired {
		t.Fatalf("status = %s, want expired", got.Status)
	}
	// Run again (a retry after the notification could not be queued): one event.
	task := asynq.NewTask(TypeExpire, []byte(`{"entry":"expire:`+inv.ID+`"}`))
	if err := e.mux.ProcessTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	evs := e.events(t)
	if len(evs) != 1 || evs[0].Kind != EventInvitationExpired || evs[0].InvitationID != inv.ID || evs[0].Actor != "system" {
		t.Errorf("events = %+v, want one invitation.expired", evs)
	}
}

// TestTimeBoundRelationship accepts a time-bound invitation, then advances the
// store's clock: notices 30, 7 and 1 days before the end, then the roles are
// removed and both sides are told; with auto-extend the end moves 180 days on.
func TestTimeBoundRelationship(t *testing.T) {
	for _, autoExtend := range []bool{false, true} {
		t.Run(map[bool]string{false: "ends", true: "auto-extends"}[autoExtend], func(t *testing.T) {
			ctx := context.Background()
			e := newSchedEnv(t)
			inv := e.inviteSent(t, partnerships.NewInvitation{TTL: 14 * 24 * time.Hour, Duration: 90 * 24 * time.Hour, AutoExtend: autoExtend})
			_, rel, err := e.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail,
				Agreement: partnerships.AgreementRef{Version: "1", Locale: "en", SHA256: strings.Repeat("a", 64)}, IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			sched := e.scheduler(100)
			step := func(d time.Duration) {
				e.clock.Advance(d)
				if _, err := sched.Sweep(ctx); err != nil {
					t.Fatal(err)
				}
				e.runDue(t)
			}
			notices := func() []string {
				var out []string
				for _, ev := range e.events(t) {
					if ev.Kind == EventRelationshipEnding {
						out = append(out, ev.Detail)
					}
				}
				return out
			}
			step(60*24*time.Hour + time.Minute) // 30 days left
			if got := notices(); len(got) != 1 || got[0] != "30d" {
				t.Errorf("after 60 days notices = %v, want [30d]", got)
			}
			step(23 * 24 * time.Hour) // 7 days left
			step(6 * 24 * time.Hour)  // 1 day left
			if got := notices(); len(got) != 3 {
				t.Errorf("notices = %v, want 30d, 7d and 1d", got)
			}
			step(24 * time.Hour) // the end
			now, err := e.store.Relationship(ctx, e.customer.ID, e.partner.ID)
			if err != nil {
				t.Fatal(err)
			}
			var expired []Event
			for _, ev := range e.events(t) {
				if ev.Kind == EventRelationshipExpired {
					expired = append(expired, ev)
				}
			}
			if len(expired) != 1 {
				t.Fatalf("relationship.expired events = %+v, want one", expired)
			}
			if autoExtend {
				if len(now.Roles) == 0 || !now.EndsAt.Equal(rel.EndsAt.Add(partnerships.ExtendBy)) {
					t.Errorf("relationship = %+v, want its roles and its end moved 180 days on", now)
				}
				if !strings.HasPrefix(expired[0].Detail, "extended") {
					t.Errorf("event detail = %q", expired[0].Detail)
				}
				if dueCount(t, e) != 4 {
					t.Errorf("the next term's notices and end are not scheduled (%d entries)", dueCount(t, e))
				}
			} else if len(now.Roles) != 0 {
				t.Errorf("relationship = %+v, want its roles removed", now)
			}
		})
	}
}

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

// TestSweepStopsWhenLockLost: a holder whose lock lapsed mid-sweep stops after
// the batch in hand; the rest stays for the new holder.
func TestSweepStopsWhenLockLost(t *testing.T) {
	e := newSchedEnv(t, []time.Duration{}...)
	for range 5 {
		e.inviteSent(t, partnerships.NewInvitation{TTL: time.Second}) // one expiry entry each
	}
	e.clock.Advance(2 * time.Second)
	lost := func(context.Context) (bool, error) { return false, nil }
	n, err := e.scheduler(2).sweep(context.Background(), lost)
	if err == nil || n != 2 {
		t.Errorf("sweep = %d, %v; want 2 and an error", n, err)
	}
	if got := dueCount(t, e); got != 3 {
		t.Errorf("%d entries left, want 3", got)
	}
}
