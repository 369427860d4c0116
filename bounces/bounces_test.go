package bounces

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sampleID = "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb"

// TestParseSamples reads every sample in testdata/: bounces as Postfix, Exim,
// Exchange / Office 365, Gmail and qmail send them, and mails that are not bounces.
func TestParseSamples(t *testing.T) {
	tests := []struct {
		file string
		want Report
	}{
		{"postfix-rfc3464-user-unknown.eml", Report{
			Bounce: true, Permanent: true, Recipient: "admin@fabrikam.example", Status: "5.1.1",
			Diagnostic:   "550 5.1.1 <admin@fabrikam.example>: Recipient address rejected: User unknown in virtual mailbox table",
			InvitationID: sampleID, Format: FormatRFC3464,
		}},
		{"exim-text-permanent.eml", Report{
			Bounce: true, Permanent: true, Recipient: "nobody@fabrikam.example", Status: "5.1.1",
			Diagnostic:   "host mailstore.fabrikam.example [198.51.100.12] SMTP error from remote mail server after RCPT TO:<nobody@fabrikam.example>: 550 5.1.1 <nobody@fabrikam.example>: Recipient address rejected: User unknown in local recipient table",
			InvitationID: sampleID, Format: FormatExim,
		}},
		{"exim-rfc3464.eml", Report{
			Bounce: true, Permanent: true, Recipient: "ghost@fabrikam.example", Status: "5.0.0",
			Diagnostic:   "550 5.1.1 <ghost@fabrikam.example>: Recipient address rejected: User unknown",
			InvitationID: sampleID, Format: FormatRFC3464, // found by the returned Message-ID: no VERP
		}},
		{"exchange-ndr.eml", Report{
			Bounce: true, Permanent: true, Recipient: "admin@fabrikam.example", Status: "5.1.10",
			Diagnostic:   "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient admin@fabrikam.example not found by SMTP address lookup",
			InvitationID: sampleID, Format: FormatExchange,
		}},
		{"gmail-failure.eml", Report{
			Bounce: true, Permanent: true, Recipient: "nobody@fabrikam.example", Status: "5.1.1",
			Diagnostic:   "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser a640c23a62f3a-ab3c2d1e0f.25 - gsmtp",
			InvitationID: sampleID, Format: FormatGmail,
		}},
		{"delayed-4.4.7.eml", Report{
			Bounce: true, Delayed: true, Recipient: "admin@fabrikam.example", Status: "4.4.7",
			Diagnostic: "400 4.4.7 Message delayed", InvitationID: sampleID, Format: FormatExchange,
		}},
		{"qmail.eml", Report{
			Bounce: true, Permanent: true, Recipient: "old.admin@northwind.example", Status: "5.1.1",
			Diagnostic:   "198.51.100.77 does not like recipient. Remote host said: 550 5.1.1 <old.admin@northwind.example>... User unknown Giving up on 198.51.100.77.",
			InvitationID: sampleID, Format: FormatQmail,
		}},
		{"postfix-legacy.eml", Report{
			Bounce: true, Permanent: true, Recipient: "it@tailspin.example", Status: "5.2.2",
			Diagnostic:   "host store.tailspin.example[198.51.100.90] said: 552 5.2.2 <it@tailspin.example>: Mailbox full (in reply to RCPT TO command)",
			InvitationID: sampleID, Format: FormatPostfixLegacy,
		}},
		// Not bounces; the invitation they answer is still reported.
		{"out-of-office.eml", Report{InvitationID: sampleID}},
		{"normal-reply.eml", Report{InvitationID: sampleID}},
		// Abuse reports (RFC 5965): complaints, not bounces.
		{"arf-abuse.eml", Report{
			Complaint: true, FeedbackType: "abuse", Recipient: "admin@fabrikam.example",
			InvitationID: sampleID, Format: FormatARF,
		}},
		{"arf-redacted.eml", Report{ // the provider hid the recipient: the invitation tells
			Complaint: true, FeedbackType: "abuse", InvitationID: sampleID, Format: FormatARF,
		}},
		{"arf-not-spam.eml", Report{InvitationID: sampleID, FeedbackType: "not-spam"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			// CRLF line endings, as IMAP servers hand messages out, read the same.
			crlf := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			if got2, err := Parse(crlf); err != nil || !cmp.Equal(got, got2) {
				t.Errorf("Parse with CRLF = %+v, %v; want %+v", got2, err, got)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("sample %s has no test case", f)
		}
	}
}

func TestParseUnreadable(t *testing.T) {
	for name, raw := range map[string][]byte{
		"empty":     nil,
		"no header": []byte("just some words\n"),
		"too large": append([]byte("Subject: x\r\n\r\n"), bytes.Repeat([]byte("a"), MaxSize)...),
	} {
		if _, err := Parse(raw); !errors.Is(err, ErrUnreadable) {
			t.Errorf("%s: err = %v, want ErrUnreadable", name, err)
		}
	}
}

// TestParseBounds: deep nesting and many parts are read only as far as the limits.
func TestParseBounds(t *testing.T) {
	dsnPart := "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	nested := func(depth int) []byte {
		body := dsnPart
		for i := range depth {
			b := "b" + strings.Repeat("x", i)
			body = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n" + body + "\r\n--" + b + "--\r\n"
		}
		return []byte("From: x@y.example\r\n" + body)
	}
	if r, err := Parse(nested(MaxDepth)); err != nil || !r.Bounce {
		t.Errorf("DSN at depth %d: %+v, %v; want a bounce", MaxDepth, r, err)
	}
	if r, err := Parse(nested(MaxDepth + 1)); err != nil || r.Bounce {
		t.Errorf("DSN at depth %d: %+v, %v; want not read", MaxDepth+1, r, err)
	}
	var many strings.Builder
	many.WriteString("From: x@y.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=zz\r\n\r\n")
	for range MaxParts {
		many.WriteString("--zz\r\nContent-Type: text/plain\r\n\r\nfiller\r\n")
	}
	many.WriteString("--zz\r\n" + dsnPart + "\r\n--zz--\r\n")
	if r, err := Parse([]byte(many.String())); err != nil || r.Bounce {
		t.Errorf("DSN after %d parts: %+v, %v; want not read", MaxParts, r, err)
	}
	long := "From: x@y.example\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\nDiagnostic-Code: smtp; 550 " +
		strings.Repeat("\x00\x1bé", 2000) + "\r\n"
	r, err := Parse([]byte(long))
	if err != nil || len(r.Diagnostic) > 1000 || strings.ContainsAny(r.Diagnostic, "\x00\x1b") {
		t.Errorf("long diagnostic: %d bytes %q, %v", len(r.Diagnostic), r.Diagnostic[:min(40, len(r.Diagnostic))], err)
	}
}

func TestDeliveredIsNoBounce(t *testing.T) {
	raw := "From: MAILER-DAEMON@x.example\r\nTo: bounces+" + sampleID + "@partnerlink.example\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.example\r\n\r\n" +
		"Final-Recipient: rfc822; a@b.example\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n--b--\r\n"
	r, err := Parse([]byte(raw))
	if err != nil || r.Bounce || r.InvitationID != sampleID {
		t.Errorf("success DSN: %+v, %v; want no bounce, invitation %s", r, err, sampleID)
	}
}

func TestReturnPath(t *testing.T) {
	rp := ReturnPath(sampleID, "partnerlink.example")
	if rp != "bounces+"+sampleID+"@partnerlink.example" {
		t.Errorf("ReturnPath = %q", rp)
	}
	for addr, want := range map[string]string{
		rp:                                 sampleID,
		"<" + rp + ">":                     sampleID,
		"partnerlink <" + rp + ">":         sampleID,
		strings.ToUpper(rp):                sampleID,
		"bounces+in_x@partnerlink.example": "",
		"noreply@partnerlink.example":      "",
		"bounces+" + sampleID:              "",
		"":                                 "",
	} {
		got, ok := InvitationFromReturnPath(addr)
		if got != want || ok != (want != "") {
			t.Errorf("InvitationFromReturnPath(%q) = %q, %t; want %q", addr, got, ok, want)
		}
	}
}

func TestInvitationFromMessageID(t *testing.T) {
	for id, want := range map[string]string{
		"<invitation." + sampleID + "@partnerlink.example>":    sampleID,
		"invitation." + sampleID + "@partnerlink.example":      sampleID,
		"<bounce-notice." + sampleID + "@partnerlink.example>": "",
		"<invitation.in_nope@partnerlink.example>":             "",
		"<invitation." + sampleID + ">":                        "",
	} {
		got, ok := InvitationFromMessageID(id)
		if got != want || ok != (want != "") {
			t.Errorf("InvitationFromMessageID(%q) = %q, %t; want %q", id, got, ok, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--x--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("error %v is not ErrUnreadable", err)
			}
			return
		}
		if r.Bounce && r.Recipient == "" && r.InvitationID == "" {
			t.Fatalf("a bounce with neither recipient nor invitation: %+v", r)
		}
		if r.Permanent && r.Delayed {
			t.Fatalf("both permanent and delayed: %+v", r)
		}
		if len(r.Diagnostic) > maxDiagnostic {
			t.Fatalf("diagnostic of %d bytes", len(r.Diagnostic))
		}
	})
}
