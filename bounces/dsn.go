package bounces

import (
	"net/textproto"
	"regexp"
	"strings"
)

// maxRecipients bounds the per-recipient blocks read from one report.
const maxRecipients = 100

// dsn is a message/delivery-status part (RFC 3464 section 2): the per-message
// fields and one field block per recipient, field names lowercased.
type dsn struct {
	message    map[string]string
	recipients []map[string]string
}

// parseDSN reads the field blocks of a delivery-status body. Blocks are separated
// by blank lines; lines starting with white space continue the field above.
func parseDSN(body []byte) *dsn {
	text := strings.ReplaceAll(string(body), "\r\n", "\n")
	var blocks []map[string]string
	cur := map[string]string{}
	last := ""
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, cur)
		}
		cur, last = map[string]string{}, ""
	}
	for line := range strings.SplitSeq(text, "\n") {
		if len(blocks) > maxRecipients {
			break
		}
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				cur[last] += " " + strings.TrimSpace(line)
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.ToLower(strings.TrimSpace(name))
		if _, seen := cur[last]; !seen { // the first of a repeated field counts
			cur[last] = strings.TrimSpace(value)
		} else {
			last = ""
		}
	}
	flush()
	d := &dsn{message: map[string]string{}}
	for i, b := range blocks {
		_, final := b["final-recipient"]
		_, original := b["original-recipient"]
		_, action := b["action"]
		switch {
		case final || original || action:
			d.recipients = append(d.recipients, b)
		case i == 0:
			d.message = b
		}
	}
	return d
}

var (
	statusPattern   = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
	smtpCodePattern = regexp.MustCompile(`(?:^|\s)([245])\d\d[\s-]`)
)

// fromDSN reports on the first failed recipient of d, else the first delayed one.
// A report that only says messages were delivered, relayed or expanded is not a
// bounce.
func fromDSN(d *dsn) Report {
	var chosen map[string]string
	for _, want := range []string{"failed", "delayed"} {
		for _, rec := range d.recipients {
			if recipientClass(rec) == want {
				chosen = rec
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		return Report{}
	}
	r := Report{Bounce: true}
	r.Recipient = addressField(chosen["final-recipient"])
	if r.Recipient == "" {
		r.Recipient = addressField(chosen["original-recipient"])
	}
	r.Diagnostic = typedValue(chosen["diagnostic-code"])
	r.Status = statusPattern.FindString(chosen["status"])
	if r.Status == "" {
		r.Status = statusPattern.FindString(r.Diagnostic)
	}
	r.Permanent = recipientClass(chosen) == "failed"
	r.Delayed = !r.Permanent
	return r
}

// recipientClass is "failed", "delayed" or "" (delivered, relayed, expanded or
// unknown) for one recipient block: its Action, else the class of its Status.
func recipientClass(rec map[string]string) string {
	action := strings.ToLower(strings.TrimSpace(rec["action"]))
	if i := strings.IndexAny(action, " ;("); i >= 0 {
		action = action[:i]
	}
	switch action {
	case "failed":
		return "failed"
	case "delayed":
		return "delayed"
	case "delivered", "relayed", "expanded":
		return ""
	}
	switch status := statusPattern.FindString(rec["status"]); {
	case strings.HasPrefix(status, "5"):
		return "failed"
	case strings.HasPrefix(status, "4"):
		return "delayed"
	}
	return ""
}

// typedValue strips the type of a "type; value" field (RFC 3464 address-type and
// diagnostic-type).
func typedValue(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}

// addressField returns the address of a "rfc822; a@example.com" field, or "" if
// it does not hold one.
func addressField(v string) string {
	a := strings.Trim(typedValue(v), "<> \t")
	if !plausibleAddress(a) {
		return ""
	}
	return strings.ToLower(a)
}

// plausibleAddress: one "@" with something on both sides, no spaces or brackets.
func plausibleAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && len(a) <= 254 && !strings.ContainsAny(a, " \t<>\"(),;:[]\\")
}

// reportFormat names who sent a standard report: Exchange and Gmail are told
// apart from other MTAs by their reporting MTA and headers.
func reportFormat(msg *message, d *dsn) string {
	mta := strings.ToLower(d.message["reporting-mta"])
	from := strings.ToLower(msg.header.Get("From"))
	_, ndr := msg.header[textproto.CanonicalMIMEHeaderKey("X-MS-Exchange-Message-Is-Ndr")]
	switch {
	case ndr,
		strings.Contains(mta, "outlook.com"), strings.Contains(mta, "exchangelabs.com"),
		strings.HasPrefix(strings.ToLower(msg.subject), "undeliverable:"):
		return FormatExchange
	case strings.Contains(mta, "googlemail.com"), strings.Contains(mta, "google.com"),
		strings.Contains(from, "@googlemail.com"):
		return FormatGmail
	}
	return FormatRFC3464
}
