package bounces

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// message is a parsed top-level message: its header and raw body.
type message struct {
	header  mail.Header
	body    []byte
	subject string // decoded
}

func readMessage(raw []byte) (*message, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(m.Body) // a bytes.Reader does not fail
	subject := m.Header.Get("Subject")
	if dec, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = dec
	}
	return &message{header: m.Header, body: body, subject: subject}, nil
}

// walked is what the MIME walk collected.
type walked struct {
	dsn         *dsn            // the first message/delivery-status part
	originalIDs []string        // Message-IDs of returned messages (message/rfc822, text/rfc822-headers)
	text        strings.Builder // text/plain parts, at most maxTextScanned bytes
	parts       int             // parts seen so far
	// Abuse reports (RFC 5965).
	feedback   feedback // the first message/feedback-report part
	originalTo []string // To of the returned message (message/rfc822, text/rfc822-headers)
}

// walk collects the parts of msg that tell about a bounce, within MaxParts parts
// and MaxDepth levels of nesting.
func walk(msg *message) walked {
	var w walked
	w.visit(textproto.MIMEHeader(msg.header), msg.body, 0)
	return w
}

func (w *walked) visit(h textproto.MIMEHeader, body []byte, depth int) {
	w.parts++
	if w.parts > MaxParts {
		return
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mediaType = "text/plain"
		if ct := strings.ToLower(strings.TrimSpace(h.Get("Content-Type"))); ct != "" && !strings.HasPrefix(ct, "text/") {
			return
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		if depth >= MaxDepth || params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for w.parts < MaxParts {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			data, err := io.ReadAll(p)
			if err != nil && len(data) == 0 {
				return
			}
			w.visit(p.Header, data, depth+1)
		}
		return
	}
	body = decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	switch mediaType {
	case "message/delivery-status", "message/global-delivery-status":
		if w.dsn == nil {
			w.dsn = parseDSN(body)
		}
	case "message/rfc822", "message/global", "text/rfc822-headers", "text/global-headers":
		h := headerOf(body)
		if id := h.Get("Message-Id"); id != "" {
			w.originalIDs = append(w.originalIDs, id)
		}
		if to := h.Get("To"); to != "" {
			w.originalTo = append(w.originalTo, strings.Trim(to[strings.LastIndexByte(to, '<')+1:], "<> \t"))
		}
	case "message/feedback-report":
		if w.feedback == nil {
			w.feedback = parseFeedback(body)
		}
	case "text/plain":
		if room := maxTextScanned - w.text.Len(); room > 0 {
			if len(body) > room {
				body = body[:room]
			}
			w.text.Write(body)
			w.text.WriteByte('\n')
		}
	}
}

// headerOf reads the header of a returned message, or a header block alone.
func headerOf(b []byte) mail.Header {
	if !bytes.Contains(b, []byte("\n\n")) && !bytes.Contains(b, []byte("\r\n\r\n")) {
		b = append(bytes.TrimRight(b, "\r\n"), "\r\n\r\n"...)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return mail.Header{}
	}
	return m.Header
}

// decodeTransfer undoes a Content-Transfer-Encoding, keeping what decodes of a
// damaged body.
func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(clean)))
		return out
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return out
	}
	return body
}
