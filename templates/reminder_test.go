package templates

import (
	"errors"
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/partnerships"
)

func sampleReminderData(t *testing.T) ReminderData {
	t.Helper()
	d, err := Sample(KindReminder, partnerships.DelegatedAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return d.(ReminderData)
}

// TestGoldenReminder compares the sample reminder in every locale with testdata/.
// Refresh with go test ./templates -update.
func TestGoldenReminder(t *testing.T) {
	s := newSet(t)
	for _, loc := range Locales() {
		t.Run(loc, func(t *testing.T) {
			m, err := s.Reminder(loc, sampleReminderData(t))
			if err != nil {
				t.Fatal(err)
			}
			compareMessage(t, "reminder."+loc, m)
		})
	}
}

func TestReminderContent(t *testing.T) {
	s := newSet(t)
	d := sampleReminderData(t)
	for _, loc := range Locales() {
		m, err := s.Reminder(loc, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<b>&") {
			t.Errorf("%s: HTML does not escape:\n%s", loc, m.HTML)
		}
		for _, want := range []string{d.Link, d.StopLink, s.TypeLabel(loc, d.Type), s.FormatDate(loc, d.ExpiresAt)} {
			if !strings.Contains(squash(m.Text), want) || !strings.Contains(m.HTML, want) {
				t.Errorf("%s: a part lacks %q", loc, want)
			}
		}
	}
}

func TestReminderErrors(t *testing.T) {
	s := newSet(t)
	valid := sampleReminderData(t)
	with := func(f func(*ReminderData)) ReminderData { d := valid; f(&d); return d }
	for name, data := range map[string]any{
		"wrong model":  valid.PartnerName,
		"nil pointer":  (*ReminderData)(nil),
		"no partner":   with(func(d *ReminderData) { d.PartnerName = "" }),
		"no link":      with(func(d *ReminderData) { d.Link = "" }),
		"no stop link": with(func(d *ReminderData) { d.StopLink = "" }),
		"bad stop":     with(func(d *ReminderData) { d.StopLink = "javascript:alert(1)" }),
		"unknown type": with(func(d *ReminderData) { d.Type = "overlord" }),
	} {
		if _, err := s.Render(KindReminder, "en", data); !errors.Is(err, ErrInvalidData) {
			t.Errorf("%s: err = %v, want ErrInvalidData", name, err)
		}
	}
}
