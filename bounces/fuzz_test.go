package bounces

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedMessages adds every sample message in testdata to f.
func seedMessages(f *testing.F) {
	paths, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed messages in testdata: %v", err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
}

// checkReport is what every report Parse gives must satisfy.
func checkReport(t *testing.T, r Report) {
	t.Helper()
	if r.Bounce && r.Complaint {
		t.Fatalf("report is both a bounce and a complaint: %+v", r)
	}
	if r.Bounce && r.Recipient == "" && r.InvitationID == "" {
		t.Fatalf("bounce with nothing to act on: %+v", r)
	}
	if r.Permanent && r.Delayed {
		t.Fatalf("report both permanent and delayed: %+v", r)
	}
	if r.Recipient != strings.ToLower(r.Recipient) {
		t.Fatalf("recipient not lowercased: %q", r.Recipient)
	}
	if len(r.Diagnostic) > maxDiagnostic {
		t.Fatalf("diagnostic of %d bytes, at most %d", len(r.Diagnostic), maxDiagnostic)
	}
	if strings.ContainsAny(r.Diagnostic, "\r\n\x00") {
		t.Fatalf("diagnostic with control characters: %q", r.Diagnostic)
	}
}

// FuzzDSN feeds arbitrary messages to the bounce parser (without Parse's recover,
// so a panic fails), seeded with every sample bounce, DSN and abuse report in
// testdata. It must fail only with ErrUnreadable and every report must be
// consistent. It also feeds each input, as a bare delivery-status body, to the
// DSN field reader.
func FuzzDSN(f *testing.F) {
	seedMessages(f)
	f.Add([]byte("Reporting-MTA: dns; a\n\nFinal-Recipient: rfc822; x@y\nAction: failed\nStatus: 5.1.1\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > MaxSize {
			return
		}
		r, err := parse(raw)
		if err != nil {
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("parse failed with an error of no known kind: %v", err)
			}
			return
		}
		checkReport(t, r)
		d := parseDSN(raw)
		if len(d.recipients) > maxRecipients+1 {
			t.Fatalf("parseDSN kept %d recipient blocks, at most %d", len(d.recipients), maxRecipients+1)
		}
		_ = fromDSN(d)
	})
}

// FuzzARF feeds arbitrary bytes to the abuse report reader, both as a
// message/feedback-report body and inside an ARF envelope.
func FuzzARF(f *testing.F) {
	for _, name := range []string{"arf-abuse.eml", "arf-not-spam.eml", "arf-redacted.eml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Feedback-Type: abuse\r\nOriginal-Rcpt-To: <x@y.example>\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > MaxSize/2 {
			return
		}
		fb := parseFeedback(raw)
		r := fromFeedback(fb, &walked{originalTo: []string{"redacted@example.com"}})
		if r.Format != FormatARF {
			t.Fatalf("fromFeedback format %q", r.Format)
		}
		wrapped := "From: <fbl@mail.example>\r\nTo: <abuse@partnerlink.example>\r\nSubject: report\r\n" +
			"Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n" +
			"--b\r\nContent-Type: message/feedback-report\r\n\r\n" + string(raw) + "\r\n--b--\r\n"
		rep, err := parse([]byte(wrapped))
		if err != nil {
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("parse failed with an error of no known kind: %v", err)
			}
			return
		}
		checkReport(t, rep)
	})
}
