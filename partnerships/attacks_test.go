package partnerships

import (
	"errors"
	"strings"
	"testing"
)

// TestAttackHeaderInputsRefuseCRLF (issue 6 item 8): every name that reaches an
// email header (a partner's name is the To display name of its notices and the
// subject of the customer's invitation; a customer's, a user's and a lead's names
// reach subjects and bodies) is refused with CR or LF in it, naming the field, and
// nothing is written. The templates keep subjects single-line and the mailer
// refuses CR/LF in every header field too (templates.TestAttackEveryKind…,
// mailer.TestSendInvalid).
func TestAttackHeaderInputsRefuseCRLF(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	p, _ := e.partner("Contoso")
	c := e.customer("Fabrikam", "ada@fabrikam.example")
	for _, bad := range []string{"Evil\r\nBcc: victim@evil.example", "Evil\nBcc: x@evil.example", "Evil\rX: y"} {
		for _, tc := range []struct {
			field string
			do    func() error
		}{
			{"name", func() error { _, _, err := e.s.CreatePartner(e.ctx, bad, "p@evil.example"); return err }},
			{"name", func() error {
				_, err := e.s.CreateCustomer(e.ctx, bad, "evil.example", CustomerUser{Email: "a@evil.example", Role: GlobalAdmin})
				return err
			}},
			{".name", func() error {
				_, err := e.s.CreateCustomer(e.ctx, "Evil Inc", "evil.example", CustomerUser{Email: "a@evil.example", Name: bad, Role: GlobalAdmin})
				return err
			}},
			{".name", func() error {
				return e.s.AddCustomerUser(e.ctx, CustomerUser{CustomerID: c.ID, Email: "b@fabrikam.example", Name: bad, Role: BillingAdmin})
			}},
			{"name", func() error {
				_, err := e.s.CreateLead(e.ctx, NewLead{PartnerIDs: []string{p.ID}, Name: bad, Email: "l@buyer.example", Organisation: "Buyer", Message: "hi", Locale: "en"})
				return err
			}},
			{"organisation", func() error {
				_, err := e.s.CreateLead(e.ctx, NewLead{PartnerIDs: []string{p.ID}, Name: "Lee", Email: "l@buyer.example", Organisation: bad, Message: "hi", Locale: "en"})
				return err
			}},
		} {
			before := snapshot(t, e.rdb)
			err := tc.do()
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%q as %s: %v; want ErrInvalidInput naming %s", bad, tc.field, err, tc.field)
			}
			unchanged(t, e.rdb, before)
		}
	}
}
