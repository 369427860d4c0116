package templates

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestGoldenPortal compares the sample sign-in link and agreement request in every
// locale with testdata/. Refresh with go test ./templates -update.
func TestGoldenPortal(t *testing.T) {
	s := newSet(t)
	for _, k := range []Kind{KindSignInLink, KindAgreementRequest} {
		for _, loc := range Locales() {
			t.Run(string(k)+"."+loc, func(t *testing.T) {
				d, err := Sample(k, partnerships.ResellerDelegatedAdmin)
				if err != nil {
					t.Fatal(err)
				}
				m, err := s.Render(k, loc, d)
				if err != nil {
					t.Fatal(err)
				}
				compareMessage(t, string(k)+"."+loc, m)
			})
		}
	}
}

func TestPortalMailContent(t *testing.T) {
	s := newSet(t)
	link := "https://partnerlink.example/signin/abc?x=<1>"
	for _, loc := range Locales() {
		in := SignInLinkData{CustomerName: "<script>x</script>", RecipientEmail: "a@b.example", Link: link, ExpiresAt: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}
		m, err := s.SignInLink(loc, in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "x=<1>") {
			t.Errorf("%s: HTML does not escape:\n%s", loc, m.HTML)
		}
		if !strings.Contains(m.Text, "\n"+link+"\n") || !strings.Contains(m.Text, s.FormatDate(loc, in.ExpiresAt)) {
			t.Errorf("%s: text lacks the link or its expiry:\n%s", loc, m.Text)
		}
		r := AgreementRequestData{PartnerName: "P <i>", PartnerEmail: "p@p.example", RecipientEmail: "a@b.example",
			Types: []partnerships.RelationshipType{partnerships.Reseller, partnerships.Advisor}, AgreementVersion: "2026-01", Link: link, ExpiresAt: in.ExpiresAt}
		m, err = s.AgreementRequest(loc, r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<i>") || !strings.Contains(m.Subject, "P <i>") {
			t.Errorf("%s: escaping: subject %q html %s", loc, m.Subject, m.HTML)
		}
		for _, want := range []string{s.TypeLabel(loc, partnerships.Reseller), s.TypeLabel(loc, partnerships.Advisor), "2026-01", link} {
			if !strings.Contains(squash(m.Text), want) {
				t.Errorf("%s: text lacks %q", loc, want)
			}
		}
	}
}

func TestPortalMailInvalid(t *testing.T) {
	s := newSet(t)
	okSignIn := SignInLinkData{RecipientEmail: "a@b.example", Link: "https://x.example/signin/t", ExpiresAt: time.Now()}
	okReq := AgreementRequestData{PartnerName: "P", PartnerEmail: "p@p.example", RecipientEmail: "a@b.example",
		Types: []partnerships.RelationshipType{partnerships.Reseller}, AgreementVersion: "v", Link: "https://x.example/a", ExpiresAt: time.Now()}
	for _, tc := range []struct {
		name string
		kind Kind
		data any
	}{
		{"sign-in: javascript link", KindSignInLink, func() SignInLinkData { d := okSignIn; d.Link = "javascript:alert(1)"; return d }()},
		{"sign-in: bad recipient", KindSignInLink, func() SignInLinkData { d := okSignIn; d.RecipientEmail = "x"; return d }()},
		{"sign-in: no expiry", KindSignInLink, func() SignInLinkData { d := okSignIn; d.ExpiresAt = time.Time{}; return d }()},
		{"sign-in: nil", KindSignInLink, (*SignInLinkData)(nil)},
		{"request: no types", KindAgreementRequest, func() AgreementRequestData { d := okReq; d.Types = nil; return d }()},
		{"request: bad type", KindAgreementRequest, func() AgreementRequestData {
			d := okReq
			d.Types = []partnerships.RelationshipType{"overlord"}
			return d
		}()},
		{"request: no partner", KindAgreementRequest, func() AgreementRequestData { d := okReq; d.PartnerName = "\r\n"; return d }()},
		{"request: wrong model", KindAgreementRequest, okSignIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Render(tc.kind, "en", tc.data); !errors.Is(err, ErrInvalidData) {
				t.Errorf("err = %v, want ErrInvalidData", err)
			}
		})
	}
}
