package requests

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	. "github.com/partnerlink/partnerlink/partnerships"
)

// le is the LineError Parse reports for what at line (or row) of file.
func le(file string, line int, what string) LineError { return lineError(file, line, what) }

var trusted = []string{"mx.partnerlink.example"}

const inbox = "requests@partnerlink.example"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file string
		want Parsed
	}{
		{"single.eml", Parsed{Requests: []Request{{Line: 3, CustomerEmail: "admin@fabrikam.example", Type: DelegatedAdmin,
			Roles: []Role{HelpdeskAdmin}, Locale: "en", Message: "Hello Ada,\nas agreed on the phone."}}}},
		{"several.eml", Parsed{
			Requests: []Request{
				{Line: 1, CustomerEmail: "it@northwind.example", Type: Reseller, Locale: "en"},
				{Line: 4, CustomerEmail: "ada@fabrikam.example", Type: DelegatedAdmin, Roles: []Role{GlobalAdmin, HelpdeskAdmin}, Locale: "de"},
			},
			Errors: []LineError{
				le("", 10, `type "boss" is not one of reseller, delegated_admin, reseller_delegated_admin, partner, advisor, mpsa, line_of_business`),
				le("", 14, `type advisor does not grant role "global_admin"; it grants helpdesk_admin`),
				le("", 15, `locale "fr" is not one of en, de`),
				le("", 17, `customer "Carol <carol@tailspin.example>" is not a plain email address such as admin@contoso.com`),
				le("", 19, `unknown key "colour"; the keys are customer, type, roles, locale and message`),
				le("", 21, `repeats the request for it@northwind.example (reseller) of line 1`),
			},
		}},
		{"csv.eml", Parsed{
			Requests: []Request{
				{File: "invites.csv", Line: 2, CustomerEmail: "admin@fabrikam.example", Type: DelegatedAdmin,
					Roles: []Role{GlobalAdmin, HelpdeskAdmin}, Locale: "de", Message: "Hallo Ada,\nwie besprochen."},
				{File: "invites.csv", Line: 4, CustomerEmail: "it@northwind.example", Type: Advisor, Locale: "en"},
			},
			Errors: []LineError{
				le("invites.csv", 3, `customer "nobody" is not a plain email address such as admin@contoso.com`),
				le("invites.csv", 5, `type line_of_business does not grant role "billing_admin"; it grants application_admin`),
				le("invites.csv", 7, `locale "fr" is not one of en, de`),
			},
		}},
		{"umlauts-qp.eml", Parsed{Requests: []Request{
			{Line: 3, CustomerEmail: "jürgen@müller.example", Type: PartnerAccount, Locale: "de",
				Message: "Sehr geehrter Herr Müller,\nwie besprochen erhalten Sie unsere Einladung. Grüße aus Köln – Ihr Contoso-Team."},
			{Line: 9, CustomerEmail: "grete@fabrikam.example", Type: Reseller, Locale: "de", Message: "Schöne Grüße!"},
		}}},
		{"outlook-html.eml", Parsed{Requests: []Request{
			{Line: 3, CustomerEmail: "admin@fabrikam.example", Type: ResellerDelegatedAdmin, Locale: "de", Message: "Grüße & bis bald – Contoso"},
			{Line: 8, CustomerEmail: "ops@woodgrove.example", Type: LineOfBusiness, Locale: "en"},
		}}},
		{"forged-auth.eml", Parsed{Requests: []Request{{Line: 1, CustomerEmail: "admin@fabrikam.example", Type: DelegatedAdmin, Locale: "en"}}}},
		{"plus-address.eml", Parsed{Requests: []Request{{Line: 1, CustomerEmail: "it@northwind.example", Type: MPSA, Locale: "en"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Parse(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
	if got, _ := Parse(fixture(t, "several.eml")); got.Errors[0].Text != `line 10: type "boss" is not one of reseller, delegated_admin, reseller_delegated_admin, partner, advisor, mpsa, line_of_business` {
		t.Errorf("first error = %q", got.Errors[0].Text)
	}
	if got, _ := Parse(fixture(t, "csv.eml")); got.Errors[0].Error() != `invites.csv row 3: customer "nobody" is not a plain email address such as admin@contoso.com` {
		t.Errorf("first CSV error = %q", got.Errors[0].Error())
	}
	if _, err := Parse(fixture(t, "out-of-office.eml")); !errors.Is(err, ErrNotARequest) {
		t.Errorf("out-of-office: err = %v, want ErrNotARequest", err)
	}
}

func TestInspectFixtures(t *testing.T) {
	contoso := Sender{From: "partners@contoso.example", Domain: "contoso.example", DKIMPass: true, SPFPass: true}
	tests := []struct {
		file string
		want Sender
	}{
		{"single.eml", contoso},
		{"outlook-html.eml", contoso},
		{"umlauts-qp.eml", contoso},
		{"out-of-office.eml", Sender{From: "partners@contoso.example", Domain: "contoso.example", DKIMPass: true, SPFPass: true, AutoSubmitted: true}},
		// Our own server's header says fail; the passing ones below the relay's do not count.
		{"forged-auth.eml", Sender{From: "partners@contoso.example", Domain: "contoso.example"}},
		{"plus-address.eml", Sender{From: "sam@tailspin.example", Domain: "tailspin.example", PlusSecret: "k7qz3mfx2wpa5rtd4hne"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Inspect(fixture(t, tt.file), trusted, inbox)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Sender{}, "Subject", "MessageID")); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
		})
	}
	if got, err := Inspect(fixture(t, "umlauts-qp.eml"), trusted, inbox); err != nil ||
		got.Subject != "Invite für Müller" || got.MessageID != "<CAF4req.umlauts@mail.contoso.example>" {
		t.Errorf("Subject, MessageID = %q, %q, %v", got.Subject, got.MessageID, err)
	}
	// Nothing is trusted without trusted servers.
	if got, err := Inspect(fixture(t, "single.eml"), nil, inbox); err != nil || got.Authenticated() {
		t.Errorf("no trusted servers: %+v, %v", got, err)
	}
}

// eml builds a message from header lines and a body.
func eml(headers, body string) []byte {
	h := []string{}
	if !strings.Contains(headers, "From:") {
		h = append(h, "From: partners@contoso.example")
	}
	if !strings.Contains(headers, "Subject:") {
		h = append(h, "Subject: Invite")
	}
	if headers = strings.TrimSpace(headers); headers != "" {
		h = append(h, headers)
	}
	return []byte(strings.Join(h, "\n") + "\n\n" + body)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		want    Parsed
		wantErr error
	}{
		{"reply", eml("Subject: Re: Invite Fabrikam", "customer: a@b.example\ntype: reseller\n"), Parsed{}, ErrNotARequest},
		{"forward", eml("Subject: WG: Invite", "customer: a@b.example\ntype: reseller\n"), Parsed{}, ErrNotARequest},
		{"other subject", eml("Subject: Hello", "customer: a@b.example\ntype: reseller\n"), Parsed{}, ErrNotARequest},
		{"auto-submitted", eml("Subject: Invite\nAuto-Submitted: auto-generated", "customer: a@b.example\ntype: reseller\n"), Parsed{}, ErrNotARequest},
		{"list", eml("List-Id: <partners.contoso.example>", "customer: a@b.example\ntype: reseller\n"), Parsed{}, ErrNotARequest},
		{"precedence bulk", eml("Precedence: bulk", "customer: a@b.example\ntype: reseller\n"), Parsed{}, ErrNotARequest},
		{"abwesend", eml("Subject: Invite (Abwesend)", "x"), Parsed{}, ErrNotARequest},
		{"auto-submitted no", eml("Auto-Submitted: no", "customer: a@b.example\ntype: reseller\n"),
			Parsed{Requests: []Request{{Line: 1, CustomerEmail: "a@b.example", Type: Reseller, Locale: "en"}}}, nil},
		{"not a message", []byte("\x00\x01 no header"), Parsed{}, ErrUnreadable},
		{"empty", eml("", "Hello, nothing here.\n"), Parsed{Errors: []LineError{le("", 0, `found no request: write lines such as "customer: admin@example.com" and "type: reseller", or attach a CSV file`)}}, nil},
		{"missing fields", eml("", "customer: a@b.example\n\ntype: reseller\nroles: none\n"), Parsed{Errors: []LineError{
			le("", 1, "type is missing: one of reseller, delegated_admin, reseller_delegated_admin, partner, advisor, mpsa, line_of_business"),
			le("", 3, "customer is missing (write customer: admin@example.com)"),
		}}, nil},
		{"twice", eml("", "customer: a@b.example\ncustomer: c@b.example\ntype: reseller\n"), Parsed{Errors: []LineError{
			le("", 2, "customer is given twice (first on line 1)"),
		}}, nil},
		{"roles none and all", eml("", "customer: a@b.example\ntype: reseller\nroles: none\n---\ncustomer: a@b.example\ntype: advisor\nroles: all\n"),
			Parsed{Requests: []Request{
				{Line: 1, CustomerEmail: "a@b.example", Type: Reseller, Roles: []Role{}, Locale: "en"},
				{Line: 5, CustomerEmail: "a@b.example", Type: Advisor, Locale: "en"},
			}}, nil},
		{"long message", eml("", "customer: a@b.example\ntype: reseller\nmessage: "+strings.Repeat("ü", 2001)+"\n"),
			Parsed{Errors: []LineError{le("", 3, "message has 2001 characters, at most 2000 allowed")}}, nil},
		{"quoted and signature", eml("", "> customer: x@y.example\n> type: reseller\ncustomer: A@B.example\ntype: Reseller Delegated-Admin\n-- \ncustomer: z@y.example\n"),
			Parsed{Requests: []Request{{Line: 3, CustomerEmail: "a@b.example", Type: ResellerDelegatedAdmin, Locale: "en"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.raw)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "requests: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCSVLimits(t *testing.T) {
	attach := func(csv string) []byte {
		return eml("Content-Type: multipart/mixed; boundary=b", "--b\nContent-Type: text/plain\n\nsee attachment\n--b\n"+
			"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"list.CSV\"\n\n"+csv+"\n--b--\n")
	}
	var big strings.Builder
	big.WriteString("customer_email,relationship_type\n")
	for i := range MaxCSVRows + 1 {
		fmt.Fprintf(&big, "u%d@b.example,reseller\n", i)
	}
	for name, tt := range map[string]struct {
		csv  string
		want Parsed
	}{
		"too many rows":       {big.String(), Parsed{Errors: []LineError{le("list.CSV", 0, "has more than 500 rows; nothing in it was used, split it into several files")}}},
		"bad header":          {"email_address,type\nx@y.example,reseller", Parsed{Errors: []LineError{le("list.CSV", 1, `unknown column "email_address"; the columns are customer_email, relationship_type, roles, locale, message`)}}},
		"no type":             {"customer_email\nx@y.example", Parsed{Errors: []LineError{le("list.CSV", 1, "the header row lacks relationship_type (want customer_email,relationship_type,roles,locale,message)")}}},
		"semicolon separated": {"relationship_type;x,customer_email,message\n", Parsed{Errors: []LineError{le("list.CSV", 1, `unknown column "relationship_type;x"; the columns are customer_email, relationship_type, roles, locale, message`)}}},
		"latin1": {"relationship_type,customer_email,message\nreseller,x@y.example,Gr\xfc\xdfe\n", Parsed{Requests: []Request{
			{File: "list.CSV", Line: 2, CustomerEmail: "x@y.example", Type: Reseller, Locale: "en", Message: "Grüße"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(attach(tt.csv))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBounds(t *testing.T) {
	huge := eml("", strings.Repeat("x", MaxMessageBytes))
	if _, err := Parse(huge); !errors.Is(err, ErrUnreadable) {
		t.Errorf("huge: err = %v, want ErrUnreadable", err)
	}
	var many bytes.Buffer
	many.WriteString("--b\n")
	for range MaxParts + 1 {
		many.WriteString("Content-Type: text/plain\n\nx\n--b\n")
	}
	if _, err := Parse(eml("Content-Type: multipart/mixed; boundary=b", many.String())); !errors.Is(err, ErrUnreadable) {
		t.Errorf("many parts: err = %v, want ErrUnreadable", err)
	}
	nested := "Content-Type: text/plain\n\ncustomer: a@b.example\ntype: reseller\n"
	for i := range MaxDepth + 1 {
		b := fmt.Sprintf("b%d", i)
		nested = "Content-Type: multipart/mixed; boundary=" + b + "\n\n--" + b + "\n" + nested + "\n--" + b + "--\n"
	}
	if _, err := Parse(eml("", "")[:0:0]); err == nil {
		t.Error("empty input: no error")
	}
	if _, err := Parse([]byte("From: a@b.example\nSubject: Invite\n" + nested)); !errors.Is(err, ErrUnreadable) {
		t.Errorf("deep nesting: err = %v, want ErrUnreadable", err)
	}
}

func TestInspect(t *testing.T) {
	ar := "Authentication-Results: mx.partnerlink.example; "
	tests := []struct {
		name    string
		headers string
		want    Sender
		wantErr error
	}{
		{"dkim subdomain aligned", "From: a@mail.contoso.example\n" + ar + "dkim=pass header.d=contoso.example",
			Sender{From: "a@mail.contoso.example", Domain: "mail.contoso.example", DKIMPass: true}, nil},
		{"dkim header.i", "From: a@contoso.example\n" + ar + "dkim=pass header.i=@contoso.example",
			Sender{From: "a@contoso.example", Domain: "contoso.example", DKIMPass: true}, nil},
		{"dkim other domain", "From: a@contoso.example\n" + ar + "dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example",
			Sender{From: "a@contoso.example", Domain: "contoso.example"}, nil},
		{"dkim tld", "From: a@contoso.example\n" + ar + "dkim=pass header.d=example",
			Sender{From: "a@contoso.example", Domain: "contoso.example"}, nil},
		{"spf aligned, comments", "From: a@Contoso.Example\n" + ar + "spf=pass (ok; really) smtp.mailfrom=\"b@contoso.example\"",
			Sender{From: "a@contoso.example", Domain: "contoso.example", SPFPass: true}, nil},
		{"untrusted on top", "From: a@contoso.example\nAuthentication-Results: other.example; dkim=fail\n" + ar + "dkim=pass header.d=contoso.example",
			Sender{From: "a@contoso.example", Domain: "contoso.example"}, nil},
		{"loop header", "From: a@contoso.example\nX-Partnerlink-Loop: 1", Sender{From: "a@contoso.example", Domain: "contoso.example", Loop: true}, nil},
		{"from inbox", "From: Requests@Partnerlink.example", Sender{From: "requests@partnerlink.example", Domain: "partnerlink.example", Loop: true}, nil},
		{"plus on other domain", "From: a@contoso.example\nTo: requests+k7qz3mfx2wpa5rtd4hne@evil.example", Sender{From: "a@contoso.example", Domain: "contoso.example"}, nil},
		{"plus malformed secret", "From: a@contoso.example\nTo: requests+short@partnerlink.example", Sender{From: "a@contoso.example", Domain: "contoso.example"}, nil},
		{"x-autoreply", "From: a@contoso.example\nX-Autoreply: yes", Sender{From: "a@contoso.example", Domain: "contoso.example", AutoSubmitted: true}, nil},
		{"two addresses", "From: a@contoso.example, b@contoso.example", Sender{}, ErrBadFrom},
		{"two From headers", "From: a@contoso.example\nFrom: b@contoso.example", Sender{}, ErrBadFrom},
		{"address as display name", `From: "partners@contoso.example" <evil@evil.example>`, Sender{}, ErrBadFrom},
		{"no From", "Subject: Invite", Sender{}, ErrBadFrom},
		{"garbage From", "From: <<<", Sender{}, ErrBadFrom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.headers + "\nSubject: Invite\n\nbody\n")
			got, err := Inspect(raw, trusted, inbox)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				tt.want.Subject = "Invite"
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
		})
	}
}

func seeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Subject: Invite\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/csv\n\na,b\n--x--"))
	f.Add([]byte("Subject: Invite\nContent-Type: text/html\n\n<p>customer: a@b.example</p><p>type: reseller"))
}

func FuzzInspect(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Inspect(raw, trusted, inbox)
		if err == nil && (s.From == "" || s.Domain == "") {
			t.Errorf("Inspect = %+v without error", s)
		}
	})
}
