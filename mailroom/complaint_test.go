package mailroom

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestComplaintSuppresses feeds abuse reports through the router: the address the
// invitation went to is suppressed at once (one complaint is enough), also when
// the provider redacted it; a repeat or a not-spam report changes nothing.
func TestComplaintSuppresses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		file       string
		invitation bool // the report names a real invitation of ours
		folder     string
		reason     string
		suppressed string // address suppressed afterwards, "" for none
	}{
		{name: "abuse report", file: "arf-abuse.eml", invitation: true, folder: inbox.Processed, reason: "address suppressed", suppressed: "admin@fabrikam.example"},
		{name: "recipient redacted", file: "arf-redacted.eml", invitation: true, folder: inbox.Processed, reason: "address suppressed", suppressed: "admin@fabrikam.example"},
		{name: "unknown invitation, recipient named", file: "arf-abuse.eml", folder: inbox.Processed, reason: "address suppressed", suppressed: "admin@fabrikam.example"},
		{name: "unknown invitation, recipient redacted", file: "arf-redacted.eml", folder: inbox.Rejected, reason: "naming no recipient"},
		{name: "not spam", file: "arf-not-spam.eml", invitation: true, folder: inbox.Rejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := sampleID
			if tt.invitation {
				inv, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: e.partner.ID,
					Email: "admin@fabrikam.example", Type: partnerships.Reseller, Locale: "en", TTL: time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				id = inv.ID
			}
			raw := read(t, "../bounces/testdata/"+tt.file, sampleID, id)
			d := e.handle("arf-1", raw)
			if d.Folder != tt.folder || !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("decision %+v, want %s with %q", d, tt.folder, tt.reason)
			}
			list, err := e.store.Suppressions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.suppressed == "" {
				if len(list) != 0 {
					t.Errorf("suppressed %v, want none", list)
				}
				return
			}
			if len(list) != 1 || list[0].Email != tt.suppressed || list[0].Reason != "complaint: abuse" {
				t.Fatalf("suppressions %+v, want %s for complaint: abuse", list, tt.suppressed)
			}
			// A new invitation to the address is refused; the same report again changes nothing.
			if _, err := e.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: e.partner.ID,
				Email: tt.suppressed, Type: partnerships.Reseller, Locale: "en", TTL: time.Hour}); err == nil {
				t.Errorf("invitation to a complainer was created")
			}
			if d := e.handle("arf-1", raw); d.Folder != inbox.Processed || !strings.Contains(d.Reason, "nothing changed") {
				t.Errorf("the same report again: %+v", d)
			}
			if n := e.queued(jobs.TypeBounceNotice); n != 0 {
				t.Errorf("%d bounce notices queued for a complaint", n)
			}
		})
	}
}
