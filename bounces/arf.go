package bounces

import "strings"

// FormatARF is the Format of an abuse report: RFC 5965 multipart/report;
// report-type=feedback-report, as mailbox providers' feedback loops send them
// when a recipient presses "report spam".
const FormatARF = "arf"

// Feedback types (RFC 5965 section 7.3) that count as a complaint: the recipient
// does not want the mail. "not-spam" and "auth-failure" (a DMARC failure report)
// do not.
var complaintTypes = map[string]bool{"abuse": true, "fraud": true, "virus": true, "other": true}

// feedback is a message/feedback-report part, field names lowercased.
type feedback map[string]string

// parseFeedback reads a message/feedback-report body: one block of fields, like
// the per-message block of a delivery status notification.
func parseFeedback(body []byte) feedback {
	d := parseDSN(body)
	f := feedback(d.message)
	if len(d.message) == 0 && len(d.recipients) > 0 {
		f = feedback(d.recipients[0])
	}
	return f
}

// fromFeedback reports on an abuse report: whose complaint (Original-Rcpt-To, else
// the To of the returned message; providers often replace both by "redacted",
// which is skipped) of which type.
func fromFeedback(f feedback, w *walked) Report {
	typ := strings.ToLower(strings.TrimSpace(f["feedback-type"]))
	r := Report{Complaint: complaintTypes[typ], FeedbackType: typ, Format: FormatARF}
	for _, a := range append([]string{f["original-rcpt-to"]}, w.originalTo...) {
		if a = addressField(a); a != "" && !strings.Contains(a, "redacted") {
			r.Recipient = a
			break
		}
	}
	return r
}
