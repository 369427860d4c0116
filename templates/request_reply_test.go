package templates

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

func sampleReply(t *testing.T) RequestReplyData {
	t.Helper()
	d, err := Sample(KindRequestReply, partnerships.DelegatedAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return d.(RequestReplyData)
}

// TestGoldenRequestReply compares the sample reply in every locale with
// testdata/. Refresh with go test ./templates -update.
func TestGoldenRequestReply(t *testing.T) {
	s := newSet(t)
	for _, loc := range Locales() {
		t.Run(loc, func(t *testing.T) {
			m, err := s.RequestReply(loc, sampleReply(t))
			if err != nil {
				t.Fatal(err)
			}
			compareMessage(t, "request-reply."+loc, m)
		})
	}
}

func TestRequestReplyContent(t *testing.T) {
	s := newSet(t)
	d := sampleReply(t)
	d.OriginalSubject = "Invite\r\nBcc: victim@example.com"
	d.Errors = append(d.Errors, "line 9: <script>alert(1)</script>")
	for _, loc := range Locales() {
		m, err := s.RequestReply(loc, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Re: Invite Bcc: victim@example.com"; m.Subject != want {
			t.Errorf("%s: subject = %q, want %q", loc, m.Subject, want)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>&") {
			t.Errorf("%s: HTML does not escape:\n%s", loc, m.HTML)
		}
		for _, want := range []string{d.Created[0].ID, d.Created[0].CustomerEmail, s.TypeLabel(loc, d.Created[0].RelationshipType()), "line 7:", s.FormatDate(loc, d.Created[0].ExpiresAt)} {
			if !strings.Contains(squash(m.Text), want) {
				t.Errorf("%s: text lacks %q:\n%s", loc, want, m.Text)
			}
		}
	}

	only := RequestReplyData{PartnerName: "Contoso", Errors: []string{"line 1: customer is missing"}}
	m, err := s.RequestReply("en", only)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Your invitation request" || !strings.Contains(m.Text, "No invitation was created.") {
		t.Errorf("errors-only reply: %q\n%s", m.Subject, m.Text)
	}
}

func TestRequestReplyInvalid(t *testing.T) {
	s := newSet(t)
	valid := sampleReply(t)
	with := func(f func(*RequestReplyData)) RequestReplyData {
		d := valid
		d.Created = append([]ReplyInvitation(nil), valid.Created...)
		f(&d)
		return d
	}
	for name, d := range map[string]any{
		"wrong model": valid.Created[0],
		"nil pointer": (*RequestReplyData)(nil),
		"no partner":  with(func(d *RequestReplyData) { d.PartnerName = "\n" }),
		"nothing":     with(func(d *RequestReplyData) { d.Created, d.Errors = nil, nil }),
		"bad email":   with(func(d *RequestReplyData) { d.Created[0].CustomerEmail = "x" }),
		"bad type":    with(func(d *RequestReplyData) { d.Created[0].Type = "boss" }),
		"no id":       with(func(d *RequestReplyData) { d.Created[0].ID = "" }),
		"no expiry":   with(func(d *RequestReplyData) { d.Created[0].ExpiresAt = time.Time{} }),
		"many errors": with(func(d *RequestReplyData) { d.Errors = make([]string, maxReplyItems+1) }),
	} {
		if _, err := s.Render(KindRequestReply, "en", d); !errors.Is(err, ErrInvalidData) {
			t.Errorf("%s: err = %v, want ErrInvalidData", name, err)
		}
	}
}
