package jobs

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// BenchmarkSendInvitation measures Sender.ProcessTask end to end per invitation:
// read it from redis-server, render, sign the link, send it to the in-process
// SMTP server over the mailer's reused connection, record it as sent.
func BenchmarkSendInvitation(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	tasks := make([]*asynq.Task, b.N)
	for i := range tasks {
		// As Enqueuer.SendInvitationOf queues it: with the partner and address.
		t, err := NewSendTask(SendPayload(e.invite(b, partnerships.DelegatedAdmin, "en")))
		if err != nil {
			b.Fatal(err)
		}
		tasks[i] = t
	}
	// Open the SMTP connection before the timer: the benchmark measures its reuse.
	if err := e.sender.ProcessTask(ctx, task(b, e.invite(b, partnerships.Reseller, "en").ID)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, tk := range tasks {
		if err := e.sender.ProcessTask(ctx, tk); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invitations/s")

	if msgs := e.messages(b, b.N+1); len(msgs) != b.N+1 {
		b.Errorf("sink holds %d messages, want %d", len(msgs), b.N+1)
	}
	if n := e.sink.Connections(); n != 1 {
		b.Errorf("%d SMTP connections, want 1 reused", n)
	}
}
