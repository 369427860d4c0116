package requests

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/partnerships"
)

func TestReadCSV(t *testing.T) {
	day := 24 * time.Hour
	const header = "customer_email,relationship_type,roles,locale,message,duration,auto_extend\n"
	tests := []struct {
		name    string
		csv     string
		want    Parsed
		wantErr string // ErrBadCSV with this text
	}{
		{
			name: "time-bound columns and | roles",
			csv: header +
				"Ada@Fabrikam.example,partner,user_account|,de,Hallo,30d,yes\n" +
				"it@northwind.example,advisor,,,,720h,\n" +
				"bo@tailspin.example,reseller,,,,,\n",
			want: Parsed{Requests: []Request{
				{File: "f.csv", Line: 2, CustomerEmail: "ada@fabrikam.example", Type: partnerships.PartnerAccount,
					Roles: []partnerships.Role{partnerships.UserAccount}, Locale: "de", Message: "Hallo", Duration: 30 * day, AutoExtend: true},
				{File: "f.csv", Line: 3, CustomerEmail: "it@northwind.example", Type: partnerships.Advisor, Locale: "en", Duration: 30 * day},
				{File: "f.csv", Line: 4, CustomerEmail: "bo@tailspin.example", Type: partnerships.Reseller, Locale: "en"},
			}},
		},
		{
			name: "bad rows name their row and address",
			csv: header +
				"ok@fabrikam.example,advisor,,,,,\n" +
				"bad@fabrikam.example,boss,,,,,\n" +
				"ge@fabrikam.example,delegated_admin,,,,30d,true\n" +
				"d@fabrikam.example,advisor,,,,2h,\n" +
				"ok@fabrikam.example,advisor,,,,,\n",
			want: Parsed{
				Requests: []Request{{File: "f.csv", Line: 2, CustomerEmail: "ok@fabrikam.example", Type: partnerships.Advisor, Locale: "en"}},
				Errors: []LineError{
					{File: "f.csv", Line: 3, Email: "bad@fabrikam.example", Text: `f.csv row 3: type "boss" is not one of ` + typeList()},
					{File: "f.csv", Line: 4, Email: "ge@fabrikam.example", Text: "f.csv row 4: auto_extend is not allowed with the global_admin role: leave out global_admin (roles) or auto_extend"},
					{File: "f.csv", Line: 5, Email: "d@fabrikam.example", Text: `f.csv row 5: duration "2h" must be 1 day to 2 years: 720h, 30d or a number of days such as 30`},
					{File: "f.csv", Line: 6, Email: "ok@fabrikam.example", Text: "f.csv row 6: repeats the request for ok@fabrikam.example (advisor) of f.csv row 2"},
				},
			},
		},
		{name: "missing column", csv: "customer_email,roles\nok@fabrikam.example,\n",
			wantErr: "f.csv row 1: the header row lacks relationship_type (want customer_email,relationship_type,roles,locale,message,duration,auto_extend)"},
		{name: "unknown column", csv: "customer_email,relationship_type,colour\n",
			wantErr: `f.csv row 1: unknown column "colour"; the columns are customer_email, relationship_type, roles, locale, message, duration, auto_extend`},
		{name: "broken row", csv: header + "ok@fabrikam.example,advisor\n\"unterminated,advisor\n",
			wantErr: `f.csv row 3: cannot read the row: extraneous or missing " in quoted-field`},
		{name: "empty", csv: header, wantErr: "f.csv: has no rows after the header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCSV("f.csv", []byte(tt.csv))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBadCSV) || !strings.HasSuffix(err.Error(), ": "+tt.wantErr) {
					t.Fatalf("err = %v, want ErrBadCSV: %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadCSV (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmailCSVKeepsItsColumns: a request email's CSV attachment does not take the
// columns only `partnerlink invite --csv` reads.
func TestEmailCSVKeepsItsColumns(t *testing.T) {
	reqs, errs, fileErr := readCSV(attachment{name: "a.csv", data: []byte("customer_email,relationship_type,duration\nx@y.example,advisor,30d\n")},
		csvOptions{maxRows: MaxCSVRows})
	if fileErr == nil || !strings.Contains(fileErr.Text, `unknown column "duration"`) || reqs != nil || errs != nil {
		t.Errorf("readCSV = %v, %v, %v; want the duration column refused", reqs, errs, fileErr)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]string
		want    Request
		wantErr string
	}{
		{"all roles", map[string]string{"customer_email": "A@B.example", "relationship_type": "delegated_admin"},
			Request{CustomerEmail: "a@b.example", Type: partnerships.DelegatedAdmin, Locale: "en"}, ""},
		{"comma roles, duration", map[string]string{"customer_email": "a@b.example", "relationship_type": "delegated_admin", "roles": "helpdesk_admin, helpdesk_admin", "duration": "90", "auto_extend": "true", "locale": "de"},
			Request{CustomerEmail: "a@b.example", Type: partnerships.DelegatedAdmin, Roles: []partnerships.Role{partnerships.HelpdeskAdmin}, Locale: "de", Duration: 90 * 24 * time.Hour, AutoExtend: true}, ""},
		{"bad role is the only error", map[string]string{"customer_email": "a@b.example", "relationship_type": "delegated_admin", "roles": "user_account", "duration": "30d", "auto_extend": "yes"}, Request{},
			`type delegated_admin does not grant role "user_account"; it grants global_admin, helpdesk_admin`},
		{"two errors", map[string]string{"customer_email": "nobody", "relationship_type": "boss"}, Request{},
			`customer "nobody" is not a plain email address such as admin@contoso.com; type "boss" is not one of ` + typeList()},
		{"auto-extend open-ended", map[string]string{"customer_email": "a@b.example", "relationship_type": "advisor", "auto_extend": "true"}, Request{},
			"auto_extend needs a duration: an open-ended relationship has no end to extend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.values)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}
