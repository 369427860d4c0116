package partnerships

import (
	"testing"
	"time"
)

func TestIdempotentInvitation(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	other, _ := e.partner("northwind")
	e.customer("fabrikam", "admin@fabrikam.example")
	inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: Advisor,
		Locale: "en", TTL: time.Hour, IdempotencyKey: "csv-row:1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, partner, email, key string
		wantID                    string
	}{
		{"the key", p.ID, "admin@fabrikam.example", "csv-row:1", inv.ID},
		{"address in capitals", p.ID, "Admin@Fabrikam.example", "csv-row:1", inv.ID},
		{"another key", p.ID, "admin@fabrikam.example", "csv-row:2", ""},
		{"another partner's key", other.ID, "admin@fabrikam.example", "csv-row:1", ""},
		{"unknown address", p.ID, "nobody@nowhere.example", "csv-row:1", ""},
		{"malformed address", p.ID, "nobody", "csv-row:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, found, err := e.s.IdempotentInvitation(e.ctx, tt.partner, tt.email, tt.key)
			if err != nil || id != tt.wantID || found != (tt.wantID != "") {
				t.Errorf("IdempotentInvitation = %q, %v, %v; want %q", id, found, err, tt.wantID)
			}
		})
	}
}
