package templates

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

func sampleNotice(t *testing.T, typ partnerships.RelationshipType) BounceNoticeData {
	t.Helper()
	d, err := Sample(KindBounceNotice, typ)
	if err != nil {
		t.Fatal(err)
	}
	return d.(BounceNoticeData)
}

// TestGoldenBounceNotice compares the sample notice in every locale with
// testdata/. Refresh with go test ./templates -update.
func TestGoldenBounceNotice(t *testing.T) {
	s := newSet(t)
	for _, loc := range Locales() {
		t.Run(loc, func(t *testing.T) {
			m, err := s.BounceNotice(loc, sampleNotice(t, partnerships.DelegatedAdmin))
			if err != nil {
				t.Fatal(err)
			}
			compareMessage(t, "bounce-notice."+loc, m)
		})
	}
}

func TestBounceNoticeContent(t *testing.T) {
	s := newSet(t)
	d := sampleNotice(t, partnerships.Advisor)
	d.Diagnostic = "550 <script>alert(1)</script>\r\nBcc: victim@example.com"
	for _, loc := range Locales() {
		m, err := s.BounceNotice(loc, d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Subject, d.RecipientEmail) || strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("%s: subject %q", loc, m.Subject)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>&") {
			t.Errorf("%s: HTML does not escape:\n%s", loc, m.HTML)
		}
		if strings.Contains(m.Text, "\nBcc:") {
			t.Errorf("%s: the diagnostic split a line:\n%s", loc, m.Text)
		}
		for _, want := range []string{d.InvitationID, d.RecipientEmail, s.TypeLabel(loc, d.Type), s.FormatDate(loc, d.BouncedAt), "550"} {
			if !strings.Contains(squash(m.Text), want) || !strings.Contains(m.HTML, want) {
				t.Errorf("%s: a part lacks %q", loc, want)
			}
		}
	}
	// Without a diagnostic the quote is left out.
	d.Diagnostic = ""
	m, err := s.BounceNotice("en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "mail server said") || strings.Contains(m.HTML, "<blockquote") {
		t.Errorf("notice without a diagnostic quotes one:\n%s", m.Text)
	}
}

func TestBounceNoticeErrors(t *testing.T) {
	s := newSet(t)
	valid := sampleNotice(t, partnerships.Reseller)
	with := func(f func(*BounceNoticeData)) BounceNoticeData { d := valid; f(&d); return d }
	for name, data := range map[string]any{
		"wrong model":     valid.PartnerName,
		"nil pointer":     (*BounceNoticeData)(nil),
		"no partner":      with(func(d *BounceNoticeData) { d.PartnerName = "\r\n" }),
		"bad recipient":   with(func(d *BounceNoticeData) { d.RecipientEmail = "Bob <bob@example.com>" }),
		"unknown type":    with(func(d *BounceNoticeData) { d.Type = "overlord" }),
		"no time":         with(func(d *BounceNoticeData) { d.BouncedAt = time.Time{} }),
		"no invitation":   with(func(d *BounceNoticeData) { d.InvitationID = " " }),
		"huge diagnostic": with(func(d *BounceNoticeData) { d.Diagnostic = strings.Repeat("x", maxDiagnosticLen+1) }),
	} {
		if _, err := s.Render(KindBounceNotice, "en", data); !errors.Is(err, ErrInvalidData) {
			t.Errorf("%s: err = %v, want ErrInvalidData", name, err)
		}
	}
	if _, err := s.BounceNotice("fr", valid); !errors.Is(err, ErrUnknownLocale) {
		t.Errorf("unknown locale: err = %v", err)
	}
	if _, err := s.Render(KindBounceNotice, "de-AT", &valid); err != nil {
		t.Errorf("pointer, regional locale: %v", err)
	}
}
