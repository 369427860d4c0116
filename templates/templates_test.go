package templates

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerlink/partnerlink/partnerships"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func newSet(t *testing.T) *Set {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func sample(t *testing.T, typ partnerships.RelationshipType) InvitationData {
	t.Helper()
	d, err := Sample(KindInvitation, typ)
	if err != nil {
		t.Fatalf("Sample(%s): %v", typ, err)
	}
	return d.(InvitationData)
}

// TestGolden compares every relationship type × locale, rendered from Sample
// data, byte for byte with testdata/. Refresh with go test ./templates -update.
func TestGolden(t *testing.T) {
	s := newSet(t)
	for _, typ := range partnerships.Types() {
		for _, loc := range Locales() {
			t.Run(string(typ)+"."+loc, func(t *testing.T) {
				m, err := s.Invitation(loc, sample(t, typ))
				if err != nil {
					t.Fatal(err)
				}
				compareMessage(t, "invitation."+string(typ)+"."+loc, m)
			})
		}
	}
}

// compareMessage compares m's subject, text and HTML with testdata/<name>.golden.*.
func compareMessage(t *testing.T, name string, m Message) {
	t.Helper()
	base := filepath.Join("testdata", name+".golden")
	for ext, got := range map[string]string{".subject": m.Subject + "\n", ".txt": m.Text, ".html": m.HTML} {
		compareGolden(t, base+ext, got)
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestEveryKindLocaleType renders every kind in every locale for every type.
func TestEveryKindLocaleType(t *testing.T) {
	s := newSet(t)
	for _, k := range Kinds() {
		for _, loc := range Locales() {
			for _, typ := range partnerships.Types() {
				data, err := Sample(k, typ)
				if err != nil {
					t.Fatalf("Sample(%s, %s): %v", k, typ, err)
				}
				m, err := s.Render(k, loc, data)
				if err != nil {
					t.Fatalf("Render(%s, %s, %s): %v", k, loc, typ, err)
				}
				if m.Subject == "" || m.Text == "" || m.HTML == "" {
					t.Errorf("%s/%s/%s: empty part: %+v", k, loc, typ, m)
				}
				if strings.ContainsAny(m.Subject, "\r\n") {
					t.Errorf("%s/%s/%s: subject has a line break: %q", k, loc, typ, m.Subject)
				}
				if !strings.Contains(m.HTML, `<html lang="`+loc+`">`) {
					t.Errorf("%s/%s/%s: HTML lacks lang=%q", k, loc, typ, loc)
				}
				if k == KindSignInLink { // the one kind about no relationship
					continue
				}
				if k == KindLead {
					// No relationship yet: the type is only the one the ready API
					// call names, to be changed to the one the two agree on.
					want := `"relationship_type":"` + string(typ) + `"`
					if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, strings.ReplaceAll(want, `"`, "&#34;")) {
						t.Errorf("%s/%s/%s: the API call lacks %s", k, loc, typ, want)
					}
					continue
				}
				if !strings.Contains(m.HTML, s.TypeLabel(loc, typ)) || !strings.Contains(m.Text, s.TypeLabel(loc, typ)) {
					t.Errorf("%s/%s/%s: type label %q missing", k, loc, typ, s.TypeLabel(loc, typ))
				}
			}
		}
	}
}

func TestInvitationContent(t *testing.T) {
	s := newSet(t)
	d := sample(t, partnerships.DelegatedAdmin)
	d.PartnerName = "<script>alert(1)</script>"
	d.Link = "https://partnerlink.example/i/accept?token=abc.def&x=<1>"
	for _, loc := range Locales() {
		t.Run(loc, func(t *testing.T) {
			m, err := s.Invitation(loc, d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("HTML does not escape the partner name:\n%s", m.HTML)
			}
			if strings.Contains(m.HTML, "x=<1>") {
				t.Errorf("HTML contains the link unescaped")
			}
			if !strings.Contains(m.Text, "\n"+d.Link+"\n") {
				t.Errorf("text part lacks the link verbatim on its own line:\n%s", m.Text)
			}
			if !strings.Contains(m.Subject, d.PartnerName) {
				t.Errorf("subject %q lacks the partner name", m.Subject)
			}
			for _, want := range []string{
				s.RoleLabel(loc, partnerships.GlobalAdmin),
				s.RoleLabel(loc, partnerships.HelpdeskAdmin),
				s.RoleLabel(loc, partnerships.BillingAdmin), // who may accept
				s.FormatDate(loc, d.ExpiresAt),
				s.TypeDescription(loc, d.Type),
			} {
				for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
					if !strings.Contains(strings.ToLower(squash(body)), strings.ToLower(want)) {
						t.Errorf("%s part lacks %q", part, want)
					}
				}
			}
		})
	}
}

func TestInvitationResellerHasNoRoles(t *testing.T) {
	s := newSet(t)
	for loc, want := range map[string]string{"en": "no admin roles", "de": "keine Administratorrollen"} {
		m, err := s.Invitation(loc, sample(t, partnerships.Reseller))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("%s: reseller invitation lacks %q", loc, want)
		}
	}
}

func TestSubjectIsSingleLine(t *testing.T) {
	s := newSet(t)
	d := sample(t, partnerships.Advisor)
	d.PartnerName = "Evil\r\nBcc: victim@example.com\n\tX"
	m, err := s.Invitation("en", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Evil Bcc: victim@example.com X invites you to an advisor relationship"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	if strings.Contains(m.Text, "\nBcc:") {
		t.Errorf("a name split a line of the text part:\n%s", m.Text)
	}
}

func TestRenderErrors(t *testing.T) {
	s := newSet(t)
	valid := sample(t, partnerships.DelegatedAdmin)
	with := func(f func(*InvitationData)) InvitationData { d := valid; f(&d); return d }
	tests := []struct {
		name   string
		kind   Kind
		locale string
		data   any
		want   error
	}{
		{"unknown locale", KindInvitation, "fr", valid, ErrUnknownLocale},
		{"empty locale", KindInvitation, "", valid, ErrUnknownLocale},
		{"unknown kind", "reminderz", "en", valid, ErrUnknownKind},
		{"wrong model type", KindInvitation, "en", "hello", ErrInvalidData},
		{"nil pointer", KindInvitation, "en", (*InvitationData)(nil), ErrInvalidData},
		{"no partner name", KindInvitation, "en", with(func(d *InvitationData) { d.PartnerName = " \r\n" }), ErrInvalidData},
		{"bad recipient", KindInvitation, "en", with(func(d *InvitationData) { d.RecipientEmail = "not-an-address" }), ErrInvalidData},
		{"named recipient", KindInvitation, "en", with(func(d *InvitationData) { d.RecipientEmail = "Bob <bob@example.com>" }), ErrInvalidData},
		{"bad partner email", KindInvitation, "en", with(func(d *InvitationData) { d.PartnerEmail = "x@" }), ErrInvalidData},
		{"unknown type", KindInvitation, "en", with(func(d *InvitationData) { d.Type = "overlord" }), ErrInvalidData},
		{"role not granted", KindInvitation, "en", with(func(d *InvitationData) { d.Roles = []partnerships.Role{partnerships.BillingAdmin} }), ErrInvalidData},
		{"javascript link", KindInvitation, "en", with(func(d *InvitationData) { d.Link = "javascript:alert(1)" }), ErrInvalidData},
		{"relative link", KindInvitation, "en", with(func(d *InvitationData) { d.Link = "/accept?t=1" }), ErrInvalidData},
		{"link with newline", KindInvitation, "en", with(func(d *InvitationData) { d.Link = "https://x.example/a\nb" }), ErrInvalidData},
		{"no expiry", KindInvitation, "en", with(func(d *InvitationData) { d.ExpiresAt = time.Time{} }), ErrInvalidData},
		{"huge message", KindInvitation, "en", with(func(d *InvitationData) { d.Message = strings.Repeat("x", maxMessageLen+1) }), ErrInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Render(tt.kind, tt.locale, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "templates: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestRenderAcceptsPointerAndRegionalLocale(t *testing.T) {
	s := newSet(t)
	d := sample(t, partnerships.MPSA)
	d.Roles = nil // defaults to what the type grants
	byPtr, err := s.Render(KindInvitation, "de-AT", &d)
	if err != nil {
		t.Fatal(err)
	}
	byValue, err := s.Invitation("de", sample(t, partnerships.MPSA))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byValue, byPtr); diff != "" {
		t.Errorf("pointer/regional render differs (-value +pointer):\n%s", diff)
	}
}

func TestSampleErrors(t *testing.T) {
	if _, err := Sample("nope", partnerships.Reseller); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: err = %v", err)
	}
	if _, err := Sample(KindInvitation, "nope"); !errors.Is(err, ErrInvalidData) {
		t.Errorf("unknown type: err = %v", err)
	}
}

func TestLabelsComplete(t *testing.T) {
	roles := map[partnerships.Role]bool{}
	for _, typ := range partnerships.Types() {
		for _, r := range typ.Roles() {
			roles[r] = true
		}
	}
	for _, r := range partnerships.CustomerRoles() {
		roles[r] = true
	}
	all := allLabels()
	for _, loc := range Locales() {
		l := all[loc]
		for _, typ := range partnerships.Types() {
			tt, ok := l.types[typ]
			if !ok || tt.Label == "" || tt.Phrase == "" || tt.Description == "" {
				t.Errorf("%s: type %s lacks labels: %+v", loc, typ, tt)
			}
		}
		for r := range roles {
			if l.roles[r] == "" {
				t.Errorf("%s: role %s has no label", loc, r)
			}
		}
	}
	s := newSet(t)
	for _, tt := range []struct {
		locale string
		role   partnerships.Role
		want   string
	}{
		{"en", partnerships.GlobalAdmin, "Global administrator"},
		{"de", partnerships.GlobalAdmin, "Globaler Administrator"},
		{"fr", partnerships.GlobalAdmin, "Global administrator"}, // default locale
		{"de", "unknown_role", "unknown_role"},
	} {
		if got := s.RoleLabel(tt.locale, tt.role); got != tt.want {
			t.Errorf("RoleLabel(%q, %q) = %q, want %q", tt.locale, tt.role, got, tt.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	s := newSet(t)
	at := time.Date(2026, time.May, 3, 9, 5, 0, 0, time.FixedZone("CEST", 2*3600))
	for loc, want := range map[string]string{
		"en": "Sunday, 3 May 2026, 07:05 UTC",
		"de": "Sonntag, 3. Mai 2026, 07:05 Uhr (UTC)",
	} {
		if got := s.FormatDate(loc, at); got != want {
			t.Errorf("FormatDate(%s) = %q, want %q", loc, got, want)
		}
	}
}

func TestWrapText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"short", "a b c", "a b c"},
		{"keeps signature space", "-- ", "-- "},
		{"wraps", "aaa bbb ccc ddd", "aaa bbb\nccc ddd"},
		{"long word alone", "x " + strings.Repeat("u", 12) + " y", "x\n" + strings.Repeat("u", 12) + "\ny"},
		{"quote prefix", "> aaa bbb ccc", "> aaa bbb\n> ccc"},
		{"list indent", "  - aa bb cc", "  - aa bb\n    cc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrapText(tt.in, 10); got != tt.want {
				t.Errorf("wrapText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// squash joins all whitespace runs into single spaces, undoing line wrapping.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
