package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

func TestQueuesCommand(t *testing.T) {
	clearEnv(t)
	srv := testredis.Start(t)

	r := runCmd(t, "queues", "--redis-url", srv.URL)
	if r.code != 0 || !strings.Contains(r.stdout, "no queues yet") {
		t.Fatalf("queues on an empty Redis: %v", r)
	}

	// Two tasks wait in "mail"; one more fails for good and is archived.
	connOpt := asynq.RedisClientOpt{Addr: srv.Addr}
	client := asynq.NewClient(connOpt)
	defer client.Close()
	for _, id := range []string{"a", "b"} {
		if _, err := client.Enqueue(asynq.NewTask("invitation:send", nil), asynq.Queue("mail"), asynq.TaskID(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Enqueue(asynq.NewTask("relationship:notify", nil), asynq.Queue("other"), asynq.MaxRetry(0)); err != nil {
		t.Fatal(err)
	}
	worker := asynq.NewServer(connOpt, asynq.Config{Queues: map[string]int{"other": 1}, Concurrency: 1,
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel})
	if err := worker.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		return errors.New("smtp: 550 5.1.1 mailbox\nunknown")
	})); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(connOpt)
	defer insp.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		qi, err := insp.GetQueueInfo("other")
		if err == nil && qi.Archived == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the failing task was not archived: %+v, %v", qi, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	worker.Shutdown()

	r = runCmd(t, "queues", "--redis-url", srv.URL)
	if r.code != 0 {
		t.Fatalf("queues: %v", r)
	}
	fields := map[string][]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			fields[f[0]] = f
		}
	}
	if got := fields["mail"]; len(got) < 7 || got[1] != "2" || got[5] != "0" {
		t.Errorf("mail queue line = %v, want 2 pending and 0 failed", got)
	}
	if got := fields["other"]; len(got) < 8 || got[1] != "0" || got[5] != "1" || got[7] != "1" {
		t.Errorf("other queue line = %v, want 0 pending, 1 failed, 1 failed today", got)
	}
	if !regexp.MustCompile(`(?m)^relationship:notify\s+\S+\s+\S+\s+smtp: 550 5\.1\.1 mailbox unknown$`).MatchString(r.stdout) {
		t.Errorf("the failed task and its error are not listed on one line:\n%s", r.stdout)
	}

	r = runCmd(t, "queues", "--redis-url", srv.URL, "--failed", "-1")
	if r.code != 2 || !strings.Contains(r.stderr, "--failed -1") {
		t.Errorf("queues --failed -1: %v", r)
	}
}
