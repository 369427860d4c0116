package bounces

import (
	"regexp"
	"strings"
)

// The non-standard bounces: plain-text messages whose wording identifies the MTA
// that wrote them.

var (
	// qmail: "<user@example.com>:" on a line of its own, the reason below.
	qmailRecipient = regexp.MustCompile(`(?m)^<([^<>\s]+@[^<>\s]+)>:[ \t]*$`)
	// Postfix: "<user@example.com>: host … said: 550 …", to the end of the paragraph.
	postfixRecipient = regexp.MustCompile(`(?m)^<([^<>\s]+@[^<>\s]+)>(?: \(expanded from <[^>]*>\))?:[ \t]*(.*(?:\n[ \t]+.*)*)`)
	// Exim: after "failed:", an indented address and indented reason lines.
	eximRecipient = regexp.MustCompile(`(?m)^[ \t]+<?([^<>\s]+@[^<>\s:]+)>?:?[ \t]*\n((?:[ \t]+.*\n?)*)`)
	// Exchange and Gmail without a report, in their own words.
	namedRecipient = regexp.MustCompile(`(?i)(?:Your message to|wasn't delivered to|was not delivered to|Delivery to the following recipients? failed(?: permanently)?:|Delivery has failed to these recipients or groups:)\s*<?([^<>\s]+@[^<>\s]+?)>?[\s.,;:]`)
	anyAddress     = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// fromText recognises the plain-text bounces; anything else is not a bounce.
func fromText(msg *message, text string) Report {
	subject := strings.ToLower(msg.subject)
	body := strings.ReplaceAll(text, "\r\n", "\n")
	before, _, _ := cutOriginal(body)
	lower := strings.ToLower(before)
	var r Report
	switch {
	case strings.Contains(before, "This is the qmail-send program"):
		r = Report{Bounce: true, Format: FormatQmail}
		if m := qmailRecipient.FindStringSubmatchIndex(before); m != nil {
			r.Recipient = before[m[2]:m[3]]
			r.Diagnostic = paragraph(before[m[1]:])
		}
		r.Permanent = strings.Contains(lower, "permanent error") || strings.Contains(lower, "i'm not going to try again")
		r.Delayed = !r.Permanent && strings.Contains(lower, "temporary")
	case strings.Contains(lower, "this message was created automatically by mail delivery software"):
		r = Report{Bounce: true, Format: FormatExim}
		start := 0
		if i := strings.Index(lower, "failed:\n"); i >= 0 {
			start = i + len("failed:\n")
		} else if i := strings.Index(lower, "delayed:\n"); i >= 0 {
			start = i + len("delayed:\n")
		}
		if m := eximRecipient.FindStringSubmatch(before[start:]); m != nil {
			r.Recipient, r.Diagnostic = m[1], m[2]
		}
		r.Delayed = strings.Contains(lower, "has not yet been delivered") || strings.HasPrefix(subject, "warning: message")
		r.Permanent = !r.Delayed
	case strings.Contains(before, "This is the mail system at host") ||
		strings.Contains(before, "I'm sorry to have to inform you that your message could not"):
		r = Report{Bounce: true, Format: FormatPostfixLegacy}
		if m := postfixRecipient.FindStringSubmatch(before); m != nil {
			r.Recipient, r.Diagnostic = m[1], m[2]
		}
		r.Delayed = strings.Contains(lower, "this is a warning only") || strings.Contains(lower, "delayed mail")
		r.Permanent = !r.Delayed
	case strings.HasPrefix(subject, "undeliverable:"):
		r = Report{Bounce: true, Format: FormatExchange, Permanent: true}
		r.Recipient, r.Diagnostic = namedFailure(before)
	case strings.HasPrefix(subject, "delivery status notification (failure)"):
		r = Report{Bounce: true, Format: FormatGmail, Permanent: true}
		r.Recipient, r.Diagnostic = namedFailure(before)
	case strings.HasPrefix(subject, "delivery status notification (delay)"):
		r = Report{Bounce: true, Format: FormatGmail, Delayed: true}
		r.Recipient, r.Diagnostic = namedFailure(before)
	default:
		return Report{}
	}
	if failed := msg.header.Get("X-Failed-Recipients"); failed != "" {
		first, _, _ := strings.Cut(failed, ",")
		if a := strings.Trim(strings.TrimSpace(first), "<>"); plausibleAddress(a) {
			r.Recipient = a
		}
	}
	if !plausibleAddress(r.Recipient) {
		r.Recipient = ""
	}
	r.Status = statusPattern.FindString(r.Diagnostic)
	if !r.Permanent && !r.Delayed {
		switch {
		case strings.HasPrefix(r.Status, "5"):
			r.Permanent = true
		case strings.HasPrefix(r.Status, "4"):
			r.Delayed = true
		default:
			if m := smtpCodePattern.FindStringSubmatch(r.Diagnostic); m != nil {
				r.Permanent, r.Delayed = m[1] == "5", m[1] == "4"
			}
		}
	}
	return r
}

// cutOriginal splits a plain-text bounce where it starts quoting the original
// message, so the quoted message is not mistaken for the bounce's own words.
func cutOriginal(body string) (before, after string, found bool) {
	for _, marker := range []string{
		"------ This is a copy of the message",          // Exim
		"--- Below this line is a copy of the message.", // qmail
		"--- Enclosed are the original headers of the message.",
		"----- Original message -----", // Gmail
		"Original message headers:",    // Exchange
	} {
		if i := strings.Index(body, marker); i >= 0 {
			return body[:i], body[i:], true
		}
	}
	return body, "", false
}

// paragraph returns s up to its first blank line.
func paragraph(s string) string {
	s = strings.TrimLeft(s, "\n")
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// namedFailure finds the recipient an Exchange or Gmail text bounce names, and the
// paragraph after it as the diagnostic; else the first address that is not a
// system one.
func namedFailure(text string) (recipient, diagnostic string) {
	if m := namedRecipient.FindStringSubmatchIndex(text); m != nil {
		recipient = text[m[2]:m[3]]
		diagnostic = paragraph(text[m[1]:])
		if d := statusLine(text); d != "" {
			diagnostic = d
		}
		return recipient, diagnostic
	}
	for _, a := range anyAddress.FindAllString(text, 20) {
		l := strings.ToLower(a)
		if strings.HasPrefix(l, "mailer-daemon@") || strings.HasPrefix(l, "postmaster@") || strings.HasPrefix(l, returnPathLocal+"+") {
			continue
		}
		return a, statusLine(text)
	}
	return "", statusLine(text)
}

// statusLine returns the first line of text that holds an enhanced status code,
// such as Gmail's "The response was: 550 5.1.1 …".
func statusLine(text string) string {
	for line := range strings.SplitSeq(text, "\n") {
		if statusPattern.MatchString(line) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
