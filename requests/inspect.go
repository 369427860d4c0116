package requests

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/partnerlink/partnerlink/partnerships"
)

// Sender is what a message says about who sent it. The caller decides: a request
// counts if From is a partner's contact address and DKIMPass or SPFPass, or if
// PlusSecret is a partner's request secret; never if AutoSubmitted or Loop.
type Sender struct {
	From          string // the one From address, lowercased
	Domain        string // its domain
	DKIMPass      bool   // a trusted server saw a passing DKIM signature aligned with Domain
	SPFPass       bool   // a trusted server saw SPF pass for an envelope sender aligned with Domain
	PlusSecret    string // <secret> of requests+<secret>@ the message was delivered to, lowercased; empty if none
	AutoSubmitted bool   // an automatic message: out of office, list, bulk …
	Loop          bool   // partnerlink's own mail come back
	Subject       string // decoded, for the reply's "Re: "
	MessageID     string // the Message-ID header, "<…@…>", for In-Reply-To; may be empty or malformed
}

// Authenticated reports whether the DKIM or SPF result vouches for From.
func (s Sender) Authenticated() bool { return s.DKIMPass || s.SPFPass }

// Inspect reads the sender of raw. trusted are the authserv-ids of partnerlink's own
// mail servers, whose Authentication-Results headers count (see the package
// documentation); inboxAddress is partnerlink's inbox, requests@example.com, whose
// plus-addresses requests+<secret>@example.com carry request secrets. It returns
// ErrUnreadable or ErrBadFrom.
func Inspect(raw []byte, trusted []string, inboxAddress string) (Sender, error) {
	msg, err := readMessage(raw)
	if err != nil {
		return Sender{}, err
	}
	froms := msg.Header["From"]
	if len(froms) != 1 {
		return Sender{}, fmt.Errorf("%w: %d From headers", ErrBadFrom, len(froms))
	}
	addrs, err := mail.ParseAddressList(froms[0])
	if err != nil {
		return Sender{}, fmt.Errorf("%w: %w", ErrBadFrom, err)
	}
	if len(addrs) != 1 {
		return Sender{}, fmt.Errorf("%w: %d addresses in From", ErrBadFrom, len(addrs))
	}
	if strings.Contains(addrs[0].Name, "@") {
		return Sender{}, fmt.Errorf("%w: display name %q looks like an address", ErrBadFrom, clip(addrs[0].Name))
	}
	from := strings.ToLower(addrs[0].Address)
	at := strings.LastIndexByte(from, '@')
	if at <= 0 || at == len(from)-1 {
		return Sender{}, fmt.Errorf("%w: %q", ErrBadFrom, clip(from))
	}
	s := Sender{From: from, Domain: strings.TrimSuffix(from[at+1:], ".")}

	trust := map[string]bool{}
	for _, id := range trusted {
		trust[strings.ToLower(strings.TrimSpace(id))] = true
	}
	for _, v := range msg.Header["Authentication-Results"] {
		id, results := parseAuthResults(v)
		if !trust[id] {
			break // this one and all below may have come with the message
		}
		for _, r := range results {
			if r.result != "pass" {
				continue
			}
			switch r.method {
			case "dkim":
				d := r.props["header.d"]
				if d == "" {
					d = domainOf(r.props["header.i"])
				}
				if aligned(d, s.Domain) {
					s.DKIMPass = true
				}
			case "spf":
				if aligned(domainOf(r.props["smtp.mailfrom"]), s.Domain) {
					s.SPFPass = true
				}
			}
		}
	}

	inboxLocal, inboxDomain := "requests", ""
	if i := strings.LastIndexByte(inboxAddress, '@'); i > 0 {
		inboxLocal, inboxDomain = strings.ToLower(inboxAddress[:i]), strings.ToLower(inboxAddress[i+1:])
		inboxLocal, _, _ = strings.Cut(inboxLocal, "+")
	}
	isInbox := func(addr string) (tag string, ok bool) {
		i := strings.LastIndexByte(addr, '@')
		if i <= 0 || (inboxDomain != "" && !strings.EqualFold(addr[i+1:], inboxDomain)) {
			return "", false
		}
		local := strings.ToLower(addr[:i])
		if local == inboxLocal {
			return "", true
		}
		tag, ok = strings.CutPrefix(local, inboxLocal+"+")
		return tag, ok
	}
recipients:
	for _, name := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		for _, v := range msg.Header[name] {
			list, err := mail.ParseAddressList(v)
			if err != nil {
				continue
			}
			for _, a := range list {
				if tag, ok := isInbox(a.Address); ok && partnerships.ValidRequestSecret(tag) {
					s.PlusSecret = tag
					break recipients
				}
			}
		}
	}

	s.Subject = decodeHeader(msg.Header.Get("Subject"))
	s.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	s.AutoSubmitted = automatic(msg.Header, s.Subject) != ""
	_, selfSent := isInbox(s.From)
	s.Loop = len(msg.Header["X-Partnerlink-Loop"]) > 0 || (inboxAddress != "" && selfSent)
	return s, nil
}

// automatic returns why a message is an automatic one, or "".
func automatic(h mail.Header, subject string) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + clip(v)
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	for _, name := range []string{"X-Autoreply", "X-Autorespond", "List-Id"} {
		if len(h[name]) > 0 {
			return name
		}
	}
	s := strings.ToLower(subject)
	for _, w := range []string{"out of office", "automatic reply", "autoreply", "abwesend", "automatische antwort"} {
		if strings.Contains(s, w) {
			return "subject " + w
		}
	}
	return ""
}

// authResult is one method's result in an Authentication-Results header.
type authResult struct {
	method, result string
	props          map[string]string // "header.d" → "example.com"
}

var (
	arEquals = regexp.MustCompile(`\s*=\s*`)
)

// parseAuthResults reads an Authentication-Results value (RFC 8601): its
// authserv-id, lowercased, and its results.
func parseAuthResults(v string) (string, []authResult) {
	v = stripComments(v)
	parts := strings.Split(v, ";")
	idFields := strings.Fields(parts[0])
	if len(idFields) == 0 {
		return "", nil
	}
	id := strings.ToLower(idFields[0])
	var out []authResult
	for _, part := range parts[1:] {
		fs := strings.Fields(arEquals.ReplaceAllString(part, "="))
		if len(fs) == 0 {
			continue
		}
		method, result, ok := strings.Cut(fs[0], "=")
		if !ok {
			continue
		}
		method, _, _ = strings.Cut(method, "/")
		r := authResult{method: strings.ToLower(method), result: strings.ToLower(strings.Trim(result, `"`)), props: map[string]string{}}
		for _, f := range fs[1:] {
			k, val, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			r.props[strings.ToLower(k)] = strings.Trim(val, `"`)
		}
		out = append(out, r)
	}
	return id, out
}

// stripComments removes RFC 5322 comments (nested parentheses) outside quotes.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"' && depth == 0:
			quoted = !quoted
		case r == '(' && !quoted:
			depth++
			continue
		case r == ')' && !quoted && depth > 0:
			depth--
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// domainOf is the domain of an address ("a@b.example", "@b.example") or the
// value itself when it has no "@".
func domainOf(s string) string {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// aligned is relaxed DMARC alignment without the public suffix list: the
// domains are equal, or one is a subdomain of the other and the shorter has at
// least two labels.
func aligned(d, from string) bool {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	from = strings.ToLower(strings.TrimSuffix(from, "."))
	if d == "" || from == "" {
		return false
	}
	if d == from {
		return true
	}
	short, long := d, from
	if len(short) > len(long) {
		short, long = long, short
	}
	return strings.Count(short, ".") >= 1 && strings.HasSuffix(long, "."+short)
}
