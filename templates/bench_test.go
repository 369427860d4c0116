package templates

import (
	"testing"

	"github.com/partnerlink/partnerlink/partnerships"
)

// BenchmarkRenderInvitation renders the sample invitation email (subject, text,
// HTML), as the worker does for every send.
func BenchmarkRenderInvitation(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	data, err := sampleInvitation(partnerships.DelegatedAdmin)
	if err != nil {
		b.Fatal(err)
	}
	d := data.(InvitationData)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Invitation("en", d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrapText wraps a rendered invitation text part.
func BenchmarkWrapText(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	data, _ := sampleInvitation(partnerships.DelegatedAdmin)
	m, err := s.Invitation("en", data.(InvitationData))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		wrapText(m.Text, textWidth)
	}
}
