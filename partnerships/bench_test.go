package partnerships

import (
	"testing"
	"time"
)

// Both benchmarks run against a real redis-server on loopback, one call at a time.

func BenchmarkCreateInvitation(b *testing.B) {
	e := newEnv(b)
	e.s = NewStore(e.rdb, WithClock(e.clock.Now)) // no test observer
	w := e.world()
	in := NewInvitation{PartnerID: w.partner.ID, Email: w.admin, Type: DelegatedAdmin, Locale: "en", TTL: 14 * 24 * time.Hour}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.s.CreateInvitation(e.ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccept(b *testing.B) {
	e := newEnv(b)
	e.s = NewStore(e.rdb, WithClock(e.clock.Now))
	w := e.world()
	// Each Accept needs an open invitation: create b.N of them first, untimed.
	invs := make([]Invitation, b.N)
	for i := range invs {
		invs[i] = e.invite(w.partner.ID, w.admin, Advisor)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := e.s.Accept(e.ctx, acceptInput(invs[i], w.admin)); err != nil {
			b.Fatal(err)
		}
	}
}
