// Package bounces reads bounce messages: RFC 3464 delivery status notifications
// (multipart/report; report-type=delivery-status) and the common non-standard
// formats of Exim, qmail, Postfix without a report, Microsoft Exchange and Gmail;
// and abuse reports of feedback loops (RFC 5965, report-type=feedback-report:
// Report.Complaint). It only parses: it does no I/O, keeps no state and never logs. Parse bounds what
// it reads (input size, number of MIME parts, nesting depth), so a hostile message
// costs little, and never panics.
//
// A bounce is tied to an invitation by its VERP return path (ReturnPath: the bounce
// is addressed to "bounces+<id>@domain") or by the original Message-ID
// "<invitation.<id>@domain>" quoted in the bounce.
package bounces

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what Parse reads.
const (
	MaxSize        = 10 << 20 // bytes of input
	MaxParts       = 50       // MIME parts walked, at any depth
	MaxDepth       = 5        // multipart nesting
	maxDiagnostic  = 1000     // bytes of Report.Diagnostic
	maxTextScanned = 256 << 10
)

// ErrUnreadable reports input Parse cannot read as a message at all: too large,
// or without a header.
var ErrUnreadable = errors.New("bounces: unreadable message")

// Report is what Parse learned from one message.
type Report struct {
	Bounce       bool   // a delivery status notification or a known bounce format, naming a recipient or an invitation
	Permanent    bool   // Action: failed / 5.x.x: the address does not take mail
	Delayed      bool   // Action: delayed / 4.x.x: still trying; informational
	Recipient    string // Final-Recipient (or Original-Recipient, or the address the format names), lowercased
	Status       string // enhanced status code, e.g. "5.1.1"
	Diagnostic   string // Diagnostic-Code text, at most 1000 bytes, control characters removed
	InvitationID string // from the VERP return path or the original Message-ID
	// Format is the format recognised: "rfc3464" (a standard report; "exchange" or
	// "gmail" when one of those sent it), "exim", "qmail", "postfix-legacy", or
	// "exchange" / "gmail" for their bounces without a report; "arf" for an abuse
	// report. Empty when neither Bounce nor Complaint is set.
	Format string
	// Complaint: an RFC 5965 abuse report (multipart/report;
	// report-type=feedback-report) saying Recipient reported the mail as spam (a
	// feedback type of abuse, fraud, virus or other). Bounce is false then.
	Complaint bool
	// FeedbackType is the report's Feedback-Type, lowercased, e.g. "abuse".
	FeedbackType string
}

// Formats Parse recognises.
const (
	FormatRFC3464       = "rfc3464"
	FormatExchange      = "exchange"
	FormatGmail         = "gmail"
	FormatExim          = "exim"
	FormatQmail         = "qmail"
	FormatPostfixLegacy = "postfix-legacy"
)

// Parse reads raw (an RFC 5322 message) and reports whether it is a bounce, of
// which recipient, how final, and of which invitation. It returns an error only
// for input it cannot read (ErrUnreadable): a message that is not a bounce gives
// Report{Bounce: false} (with InvitationID if one was found), and a malformed
// MIME structure is read as far as it goes.
func Parse(raw []byte) (r Report, err error) {
	if len(raw) > MaxSize {
		return Report{}, fmt.Errorf("%w: %d bytes, at most %d", ErrUnreadable, len(raw), MaxSize)
	}
	defer func() {
		// Parse must never take the caller down; a bug in a corner of the MIME
		// walk becomes an unreadable message.
		if p := recover(); p != nil {
			r, err = Report{}, fmt.Errorf("%w: %v", ErrUnreadable, p)
		}
	}()
	return parse(raw)
}

// parse is Parse without the size check and the recover, so that FuzzParse sees a
// panic as the bug it is.
func parse(raw []byte) (r Report, err error) {
	msg, err := readMessage(raw)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	w := walk(msg)

	switch {
	case w.feedback != nil && w.dsn == nil:
		r = fromFeedback(w.feedback, &w)
	case w.dsn != nil:
		r = fromDSN(w.dsn)
		r.Format = reportFormat(msg, w.dsn)
	default:
		r = fromText(msg, w.text.String())
	}
	r.InvitationID = invitationOf(msg, &w)
	r.Recipient = strings.ToLower(strings.TrimSpace(r.Recipient))
	r.Diagnostic = cleanDiagnostic(r.Diagnostic)
	if r.Bounce && r.Recipient == "" && r.InvitationID == "" {
		r.Bounce = false // nothing to act on
	}
	if r.Format == FormatARF {
		if !r.Complaint || (r.Recipient == "" && r.InvitationID == "") {
			return Report{InvitationID: r.InvitationID, FeedbackType: r.FeedbackType}, nil
		}
		return r, nil
	}
	if !r.Bounce {
		return Report{InvitationID: r.InvitationID}, nil
	}
	if r.Permanent {
		r.Delayed = false
	}
	return r, nil
}

// invitationOf finds the invitation a message is about: the VERP address it was
// sent to, the Message-ID of the returned message, the In-Reply-To and References
// fields, and last an "<invitation.…>" Message-ID or VERP address quoted in the
// text.
func invitationOf(msg *message, w *walked) string {
	for _, name := range []string{"Delivered-To", "X-Original-To", "To", "Envelope-To", "X-Envelope-To"} {
		for _, v := range msg.header[name] {
			for addr := range strings.SplitSeq(v, ",") {
				if id, ok := InvitationFromReturnPath(addr); ok {
					return id
				}
			}
		}
	}
	ids := w.originalIDs
	if w.dsn != nil && w.dsn.message["x-original-message-id"] != "" {
		ids = append(ids, w.dsn.message["x-original-message-id"]) // Gmail's
	}
	for _, id := range ids {
		if inv, ok := InvitationFromMessageID(id); ok {
			return inv
		}
	}
	for _, name := range []string{"In-Reply-To", "References"} {
		for _, v := range msg.header[name] {
			for id := range strings.FieldsSeq(v) {
				if inv, ok := InvitationFromMessageID(id); ok {
					return inv
				}
			}
		}
	}
	text := w.text.String()
	if m := messageIDInText.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	if m := verpInText.FindStringSubmatch(text); m != nil {
		if id := strings.ToLower(m[1]); invitationIDPattern.MatchString(id) {
			return id
		}
	}
	return ""
}

// cleanDiagnostic makes s one line of valid UTF-8 without control characters, at
// most maxDiagnostic bytes, cut at a character boundary.
func cleanDiagnostic(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, c := range s {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(c)
		if b.Len() > maxDiagnostic {
			break
		}
	}
	out := b.String()
	if len(out) > maxDiagnostic {
		out = out[:maxDiagnostic]
		for !utf8.ValidString(out) {
			out = out[:len(out)-1]
		}
	}
	return strings.TrimSpace(out)
}
