package mailer

import (
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	gomail "github.com/wneessen/go-mail"
)

// benchMessage is a rendered invitation, the message partnerlink sends most.
func benchMessage(b *testing.B) Message {
	b.Helper()
	set, err := templates.New()
	if err != nil {
		b.Fatal(err)
	}
	data, err := templates.Sample(templates.KindInvitation, partnerships.DelegatedAdmin)
	if err != nil {
		b.Fatal(err)
	}
	r, err := set.Render(templates.KindInvitation, "en", data)
	if err != nil {
		b.Fatal(err)
	}
	return Message{
		To: "admin@fabrikam.example", ToName: "Fabrikam admin",
		Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		MessageID: MessageID("in_bench", "invitation", "partnerlink.example"),
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSend: Mailer.Send to a mailsink over one reused connection.
func BenchmarkSend(b *testing.B) {
	sink := startSink(b, "")
	m := newMailer(b, sinkConfig(b, sink.Addr()))
	msg := benchMessage(b)
	ctx := b.Context()
	for b.Loop() {
		if err := m.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
	if n := sink.Connections(); n != 1 {
		b.Errorf("Connections() = %d, want 1", n)
	}
}

// BenchmarkRawGoMail: a plain go-mail client with its defaults, one connection
// (DialWithContext once), Send per op, the same message.
func BenchmarkRawGoMail(b *testing.B) { benchRawGoMail(b) }

// BenchmarkRawGoMailWithoutNoop: as BenchmarkRawGoMail with WithoutNoop, which
// Mailer uses too: the like-for-like baseline.
func BenchmarkRawGoMailWithoutNoop(b *testing.B) { benchRawGoMail(b, gomail.WithoutNoop()) }

func benchRawGoMail(b *testing.B, extra ...gomail.Option) {
	sink := startSink(b, "")
	cfg := sinkConfig(b, sink.Addr())
	opts := append([]gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithHELO(cfg.HeloName)}, extra...)
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.DialWithContext(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	msg := benchMessage(b)
	gm := gomail.NewMsg()
	if err := gm.FromFormat(cfg.FromName, cfg.From); err != nil {
		b.Fatal(err)
	}
	if err := gm.AddToFormat(msg.ToName, msg.To); err != nil {
		b.Fatal(err)
	}
	gm.Subject(msg.Subject)
	gm.SetMessageIDWithValue("invitation.in_bench@partnerlink.example")
	gm.SetDateWithValue(time.Now())
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)

	for b.Loop() {
		if err := c.Send(gm); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
	if n := sink.Connections(); n != 1 {
		b.Errorf("Connections() = %d, want 1", n)
	}
}
