package mailer

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// testDKIMKey generates a key of typ for selector at partnerlink.example.
func testDKIMKey(t testing.TB, typ, selector string) DKIMKey {
	t.Helper()
	p, err := GenerateDKIMKey(typ)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseDKIMPrivateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	k := DKIMKey{Selector: selector, Domain: "partnerlink.example", Signer: s}
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	return k
}

// lookupFrom answers DKIM key queries from the published records only.
func lookupFrom(t testing.TB, keys ...DKIMKey) func(string) ([]string, error) {
	records := map[string]string{}
	for _, k := range keys {
		r, err := k.Record()
		if err != nil {
			t.Fatal(err)
		}
		records[k.RecordName()] = r
	}
	return func(name string) ([]string, error) {
		if r, ok := records[strings.TrimSuffix(name, ".")]; ok {
			return []string{r}, nil
		}
		return nil, errors.New("NXDOMAIN " + name)
	}
}

// TestDKIMSignatureVerifies sends a message with HTML and text through a real
// SMTP server and verifies what arrived with go-msgauth, the key looked up from
// the record `partnerlink dns` prints. The newest selector signs; a changed body
// fails.
func TestDKIMSignatureVerifies(t *testing.T) {
	for _, typ := range []string{DKIMRSA, DKIMEd25519} {
		t.Run(typ, func(t *testing.T) {
			sink := startSink(t, "")
			cfg := sinkConfig(t, sink.Addr())
			newest, older := testDKIMKey(t, typ, "pl2026b"), testDKIMKey(t, typ, "pl2026a")
			cfg.DKIM = []DKIMKey{newest, older}
			m := newMailer(t, cfg)
			err := m.Send(t.Context(), Message{
				To: "admin@fabrikam.example", ToName: "Jürgen Müller", Subject: "Einladung von Contoso – bitte prüfen",
				Text: "Hallo,\n\nbitte prüfen Sie die Einladung.\n", HTML: "<p>Hallo,</p><p>bitte <b>prüfen</b> Sie.</p>",
				MessageID: MessageID("in_abc", "invitation", "partnerlink.example"),
				Headers:   map[string]string{"Auto-Submitted": "auto-generated"},
			})
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := sink.Wait(t.Context(), 1)
			if err != nil {
				t.Fatal(err)
			}
			raw := msgs[0].Raw
			lookup := lookupFrom(t, newest, older)
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "partnerlink.example" {
				t.Fatalf("verifications %+v (err %v), want one valid for partnerlink.example:\n%s", vs, vs[0].Err, raw)
			}
			if !strings.Contains(string(raw), "s=pl2026b") {
				t.Errorf("not signed by the newest selector pl2026b:\n%s", raw)
			}
			for _, h := range []string{"from", "subject", "date", "message-id", "to", "content-type"} {
				found := false
				for _, k := range vs[0].HeaderKeys {
					found = found || strings.EqualFold(k, h)
				}
				if !found {
					t.Errorf("header %s is not signed: %v", h, vs[0].HeaderKeys)
				}
			}

			tampered := bytes.Replace(raw, []byte("Hallo,"), []byte("Hallo!"), 1)
			if bytes.Equal(tampered, raw) {
				t.Fatalf("test message has no %q to change:\n%s", "Hallo,", raw)
			}
			vs, err = dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 1 || vs[0].Err == nil {
				t.Errorf("a changed body verified: %+v", vs)
			}
		})
	}
}

func TestDKIMKeyValidate(t *testing.T) {
	good := testDKIMKey(t, DKIMEd25519, "s1")
	tests := []struct {
		name string
		key  DKIMKey
		want string
	}{
		{"bad selector", DKIMKey{Selector: "a b", Domain: "example.com", Signer: good.Signer}, "selector"},
		{"bad domain", DKIMKey{Selector: "s1", Domain: "exa mple", Signer: good.Signer}, "domain"},
		{"no key", DKIMKey{Selector: "s1", Domain: "example.com"}, "no key"},
	}
	for _, tt := range tests {
		err := tt.key.Validate()
		if !errors.Is(err, ErrDKIMKey) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrDKIMKey naming %s", tt.name, err, tt.want)
		}
	}
	if _, err := ParseDKIMPrivateKey([]byte("not pem")); !errors.Is(err, ErrDKIMKey) {
		t.Errorf("ParseDKIMPrivateKey(not pem) = %v", err)
	}
	if _, err := GenerateDKIMKey("dsa"); !errors.Is(err, ErrDKIMKey) {
		t.Errorf("GenerateDKIMKey(dsa) = %v", err)
	}
}
