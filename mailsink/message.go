package mailsink

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one received message: the SMTP envelope, the raw bytes and what was
// parsed from them. Text and HTML are the first text/plain and text/html parts,
// decoded to UTF-8 with LF line endings.
type Message struct {
	ID        int       // 1, 2, … in order of arrival
	From      string    // envelope sender (MAIL FROM)
	To        []string  // envelope recipients (RCPT TO)
	Received  time.Time // when DATA completed
	Raw       []byte    // the message as received
	Subject   string    // decoded (RFC 2047)
	MessageID string    // as in the header, "<…@…>"
	Text      string
	HTML      string
	Header    mail.Header
	ParseErr  string // why parsing stopped, if it did; the message is kept anyway
}

// clone returns a deep copy, so callers cannot change what the sink keeps.
func (m Message) clone() Message {
	m.To = slices.Clone(m.To)
	m.Raw = slices.Clone(m.Raw)
	if m.Header != nil {
		h := make(mail.Header, len(m.Header))
		for k, v := range maps.All(m.Header) {
			h[k] = slices.Clone(v)
		}
		m.Header = h
	}
	return m
}

// maxDepth bounds multipart nesting.
const maxDepth = 10

// parse reads what it can from raw; a malformed message is still kept, with
// ParseErr set.
func parse(raw []byte) Message {
	m := Message{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseErr = err.Error()
		return m
	}
	m.Header = msg.Header
	m.Subject = decodeHeader(msg.Header.Get("Subject"))
	m.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	if err := m.walk(msg.Header, msg.Body, 0); err != nil {
		m.ParseErr = err.Error()
	}
	return m
}

// decodeHeader decodes RFC 2047 encoded-words, or returns v as it is if it can't.
func decodeHeader(v string) string {
	d := mime.WordDecoder{}
	s, err := d.DecodeHeader(v)
	if err != nil {
		return v
	}
	return s
}

// header is what parsing needs of a message's or a part's header.
type header interface{ Get(key string) string }

// walk finds the first text/plain and text/html parts in a (multipart) body.
func (m *Message) walk(h header, body io.Reader, depth int) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		mediaType, params = "text/plain", nil
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= maxDepth {
			return errors.New("multipart nesting too deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := m.walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	var dst *string
	switch {
	case mediaType == "text/plain" && m.Text == "":
		dst = &m.Text
	case mediaType == "text/html" && m.HTML == "":
		dst = &m.HTML
	default:
		return nil
	}
	b, err := io.ReadAll(decodeTransfer(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	*dst = strings.ReplaceAll(toUTF8(params["charset"], b), "\r\n", "\n")
	return nil
}

// decodeTransfer undoes a Content-Transfer-Encoding.
func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	default:
		return r
	}
}

// toUTF8 converts b from charset; only UTF-8, US-ASCII and ISO-8859-1 are known,
// anything else is taken as UTF-8 with invalid bytes replaced.
func toUTF8(charset string, b []byte) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "iso8859-1":
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c)
		}
		return string(runes)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
