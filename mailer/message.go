package mailer

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net/mail"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email to send. Text is required: every message has a text part;
// HTML, when set, is its multipart/alternative twin.
type Message struct {
	To      string // one plain address, a@example.com
	ToName  string // display name, optional; non-ASCII is encoded
	Subject string // single line; non-ASCII is encoded
	Text    string // required
	HTML    string // optional
	// MessageID is the full "<id@domain>" Message-ID; see MessageID. Empty: a
	// random one at the From address's domain.
	MessageID string
	// ReturnPath is the envelope sender (SMTP MAIL FROM) of this message, where
	// bounces go: one plain address such as a VERP address
	// "bounces+<id>@example.com". Empty: Config.From. The From header is
	// Config.From either way.
	ReturnPath string
	// Headers are extra header fields such as Auto-Submitted. Names are checked;
	// the ones Send sets itself (From, To, Subject, Date, Message-ID, MIME and
	// address headers) are refused. Values must be single-line; non-ASCII is
	// encoded.
	Headers map[string]string
}

// MessageID returns a stable Message-ID for one logical message, so a retried send
// reuses it (idempotency, bounce matching):
// MessageID("in_abc", "invitation", "example.com") is
// "<invitation.in_abc@example.com>". Characters other than letters, digits, "-",
// "_" and "+" in subject and kind are written as "=XX", so different inputs
// never share an ID; a domain that is not a host name becomes
// "partnerlink.invalid".
func MessageID(subject, kind, domain string) string {
	return "<" + idPart(kind) + "." + idPart(subject) + "@" + idDomain(domain) + ">"
}

func idPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c == '-' || c == '_' || c == '+' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

var hostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

func idDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
	if len(d) > 253 || !hostPattern.MatchString(d) {
		return "partnerlink.invalid"
	}
	return d
}

// messageIDPattern is a Message-ID as Send accepts it: <left@right>, printable
// ASCII without spaces or specials.
var messageIDPattern = regexp.MustCompile(`^<[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~.-]+@[A-Za-z0-9.\-\[\]:]+>$`)

// reservedHeaders are set by Send and may not be given in Message.Headers.
var reservedHeaders = []string{
	"Bcc", "Cc", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id",
	"Mime-Version", "Reply-To", "Return-Path", "Sender", "Subject", "To",
}

// validate checks msg; every field that reaches a header is single-line.
func (msg Message) validate() error {
	if msg.To == "" {
		return invalid("no recipient")
	}
	if hasControl(msg.To) || !bareAddress(msg.To) {
		return invalid("recipient %q is not a plain email address", msg.To)
	}
	if hasControl(msg.ToName) {
		return invalid("recipient name contains CR, LF or other control characters")
	}
	if hasControl(msg.Subject) {
		return invalid("subject contains CR, LF or other control characters")
	}
	if strings.TrimSpace(msg.Text) == "" {
		return invalid("no text part")
	}
	if msg.ReturnPath != "" && (hasControl(msg.ReturnPath) || !bareAddress(msg.ReturnPath)) {
		return invalid("return path %q is not a plain email address", msg.ReturnPath)
	}
	if msg.MessageID != "" && !messageIDPattern.MatchString(msg.MessageID) {
		return invalid("message ID %q is not of the form <id@domain>", msg.MessageID)
	}
	for name, value := range msg.Headers {
		if !validHeaderName(name) {
			return invalid("header name %q is not a valid field name", name)
		}
		if slices.Contains(reservedHeaders, textproto.CanonicalMIMEHeaderKey(name)) {
			return invalid("header %q is set by the mailer", name)
		}
		if hasControl(strings.ReplaceAll(value, "\t", " ")) {
			return invalid("header %q contains CR, LF or other control characters", name)
		}
	}
	return nil
}

// validHeaderName: printable US-ASCII except colon (RFC 5322 section 3.6.8).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || s[i] == ':' {
			return false
		}
	}
	return true
}

// build validates msg and turns it into a go-mail message from m's sender.
func (m *Mailer) build(msg Message, now time.Time) (*gomail.Msg, error) {
	if err := msg.validate(); err != nil {
		return nil, err
	}
	id := msg.MessageID
	if id == "" {
		id = randomMessageID(m.domain)
	}
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	gm.FromMailAddress(m.from)
	if msg.ReturnPath != "" {
		// go-mail uses the EnvelopeFrom address for MAIL FROM and never writes it
		// into the message.
		if err := gm.EnvelopeFrom(msg.ReturnPath); err != nil {
			return nil, invalid("return path %q: %v", msg.ReturnPath, err)
		}
	}
	gm.ToMailAddress(&mail.Address{Name: msg.ToName, Address: msg.To})
	gm.Subject(msg.Subject)
	gm.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">"))
	gm.SetDateWithValue(now)
	for _, name := range slices.Sorted(maps.Keys(msg.Headers)) {
		gm.SetGenHeader(gomail.Header(textproto.CanonicalMIMEHeaderKey(name)), msg.Headers[name])
	}
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	if len(m.cfg.DKIM) > 0 {
		if err := sign(gm, m.cfg.DKIM[0]); err != nil {
			return nil, err
		}
	}
	return gm, nil
}

func randomMessageID(domain string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "<" + hex.EncodeToString(b) + "@" + idDomain(domain) + ">"
}
