package templates

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

func sampleNotificationData(t *testing.T) NotificationData {
	t.Helper()
	d, err := Sample(KindNotification, partnerships.DelegatedAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return d.(NotificationData)
}

// TestGoldenNotification renders every event in every locale and compares it with
// testdata/. Refresh with go test ./templates -update.
func TestGoldenNotification(t *testing.T) {
	s := newSet(t)
	for _, ev := range NotificationEvents() {
		for _, loc := range Locales() {
			t.Run(ev+"/"+loc, func(t *testing.T) {
				d := sampleNotificationData(t)
				d.Event = ev
				switch ev {
				case "relationship.ended":
					d.Audience, d.RecipientName = "customer", "Ada"
				case "relationship.ending":
					d.Detail, d.EndsAt = "7d", d.At.Add(7*24*time.Hour)
				case "roles.removed":
					d.InvitationID = ""
				}
				m, err := s.Notification(loc, d)
				if err != nil {
					t.Fatal(err)
				}
				compareMessage(t, "notification."+ev+"."+loc, m)
			})
		}
	}
}

func TestNotificationContent(t *testing.T) {
	s := newSet(t)
	tests := []struct {
		name     string
		edit     func(*NotificationData)
		loc      string
		subject  string // in the subject
		wantText []string
	}{
		{"accepted", func(d *NotificationData) {}, "en", "accepted your invitation", []string{"Delegated", "in_aaaa"}},
		{"ending partner 1 day", func(d *NotificationData) { d.Event, d.Detail = "relationship.ending", "1d" }, "en", "ends in 1 day", []string{"Fabrikam"}},
		{"ending customer 30 days", func(d *NotificationData) {
			d.Event, d.Detail, d.Audience = "relationship.ending", "30d", "customer"
		}, "de", "mit Contoso Ltd endet in 30 Tagen", []string{"Contoso"}},
		{"expired customer", func(d *NotificationData) { d.Event, d.Audience = "relationship.expired", "customer" }, "en", "with Contoso Ltd has ended", nil},
		{"roles removed", func(d *NotificationData) { d.Event = "roles.removed" }, "en", "removed your admin roles", []string{"Global administrator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleNotificationData(t)
			tt.edit(&d)
			m, err := s.Notification(tt.loc, d)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Subject, tt.subject) {
				t.Errorf("subject %q lacks %q", m.Subject, tt.subject)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(squash(m.Text), w) {
					t.Errorf("text lacks %q:\n%s", w, m.Text)
				}
			}
			if strings.Contains(m.HTML, "<b>&") {
				t.Errorf("HTML does not escape the customer name:\n%s", m.HTML)
			}
		})
	}
}

func TestNotificationErrors(t *testing.T) {
	s := newSet(t)
	for name, edit := range map[string]func(*NotificationData){
		"unknown event":     func(d *NotificationData) { d.Event = "invitation.exploded" },
		"unknown audience":  func(d *NotificationData) { d.Audience = "everyone" },
		"no customer":       func(d *NotificationData) { d.CustomerName = "\r\n" },
		"no time":           func(d *NotificationData) { d.At = time.Time{} },
		"ending bad detail": func(d *NotificationData) { d.Event, d.Detail = "relationship.ending", "2d" },
		"bad type":          func(d *NotificationData) { d.Type = "overlord" },
	} {
		t.Run(name, func(t *testing.T) {
			d := sampleNotificationData(t)
			edit(&d)
			if _, err := s.Notification("en", d); !errors.Is(err, ErrInvalidData) {
				t.Errorf("err = %v, want ErrInvalidData", err)
			}
		})
	}
}

// TestGoldenLead compares the sample lead in every locale with testdata/.
func TestGoldenLead(t *testing.T) {
	s := newSet(t)
	d, err := Sample(KindLead, partnerships.Reseller)
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range Locales() {
		t.Run(loc, func(t *testing.T) {
			m, err := s.Lead(loc, d.(LeadData))
			if err != nil {
				t.Fatal(err)
			}
			compareMessage(t, "lead."+loc, m)
			// The command survives wrapping: each line but the last ends in a backslash.
			i := strings.Index(m.Text, "curl -X POST")
			if i < 0 {
				t.Fatalf("no curl command:\n%s", m.Text)
			}
			lines := strings.Split(m.Text[i:], "\n")[:5]
			for _, l := range lines[:4] {
				if !strings.HasSuffix(l, `\`) {
					t.Errorf("command line %q does not continue", l)
				}
			}
			if !strings.Contains(lines[3], `"lead_id":"ld_aaaaaaaaaaaaaaaa"`) || !strings.Contains(lines[4], "/api/v1/invitations'") {
				t.Errorf("command lacks the lead id or URL:\n%s", strings.Join(lines, "\n"))
			}
			if strings.Contains(m.HTML, "<b>&") {
				t.Errorf("HTML does not escape the organisation")
			}
		})
	}
}

func TestLeadErrors(t *testing.T) {
	s := newSet(t)
	d0, _ := Sample(KindLead, partnerships.Reseller)
	for name, edit := range map[string]func(*LeadData){
		"bad email":    func(d *LeadData) { d.Email = "x' ; rm -rf / '@example.com" },
		"bad lead id":  func(d *LeadData) { d.LeadID = "ld_../../" },
		"no message":   func(d *LeadData) { d.Message = " \n " },
		"quote in url": func(d *LeadData) { d.APIURL = "https://x.example/'a" },
		"not http url": func(d *LeadData) { d.APIURL = "javascript:alert(1)" },
	} {
		t.Run(name, func(t *testing.T) {
			d := d0.(LeadData)
			edit(&d)
			if _, err := s.Lead("en", d); !errors.Is(err, ErrInvalidData) {
				t.Errorf("err = %v, want ErrInvalidData", err)
			}
		})
	}
}
