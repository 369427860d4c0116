package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// devOldAgreement is the agreement version dev's second demo partner was signed
// under: older than every version of the sample library, so the portal offers to
// sign the current one and the partner may ask for it (journey).
const devOldAgreement = "2025-07"

// devOldPartner is dev's second demo partner: it already works with the demo
// customer, under the old agreement, so the agreement-alone flow can be walked.
type devOldPartner struct {
	id, name, apiKey, customerID string
}

// seedOldRelationship makes the demo customer's relationship with a second demo
// partner, accepted a while ago by its global admin under devOldAgreement. No
// mail is sent for it.
func seedOldRelationship(ctx context.Context, store *partnerships.Store, customerID string, ttl time.Duration) (devOldPartner, error) {
	p, key, err := store.CreatePartner(ctx, "Northwind Traders", "partners@northwind.example")
	if err != nil {
		return devOldPartner{}, fmt.Errorf("second demo partner: %w", err)
	}
	inv, err := store.CreateInvitation(ctx, partnerships.NewInvitation{
		PartnerID: p.ID, Email: "admin@fabrikam.example", Type: partnerships.Advisor, Locale: "en", TTL: ttl,
	})
	if err == nil {
		inv, err = store.MarkSent(ctx, inv.ID, "<invitation."+inv.ID+"@"+devDomain+">")
	}
	if err == nil {
		sum := sha256.Sum256([]byte("partnerlink dev: customer agreement " + devOldAgreement))
		_, _, err = store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID,
			UserEmail: "admin@fabrikam.example", IP: "127.0.0.1", UserAgent: "partnerlink dev (seed)",
			Agreement: partnerships.AgreementRef{Version: devOldAgreement, Locale: "en", SHA256: hex.EncodeToString(sum[:])}})
	}
	if err != nil {
		return devOldPartner{}, fmt.Errorf("second demo relationship: %w", err)
	}
	return devOldPartner{id: p.ID, name: p.Name, apiKey: key, customerID: customerID}, nil
}

// printAgreementWelcome tells the dev user where the portal is and how to walk
// the agreement-alone flow.
func printAgreementWelcome(w io.Writer, base string, old devOldPartner) {
	fmt.Fprintf(w, `Customer portal: %s/portal/signin   (as admin@fabrikam.example; the link arrives on the mail page)
`, base)
	fmt.Fprintf(w, `Agreement alone: demo partner %q (API key %s) works with Fabrikam under the
old agreement %s; ask Fabrikam's admins to sign the current one (they get an email):
  curl -sS -X POST %s/api/v1/customers/%s/agreement-requests -H 'Authorization: Bearer %s'
`, old.name, old.apiKey, devOldAgreement, base, old.customerID, old.apiKey)
}
