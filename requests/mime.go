package requests

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits on what is read.
const (
	MaxMessageBytes = 10 << 20 // the whole message
	MaxParts        = 50       // MIME parts, the message itself included
	MaxDepth        = 5        // multipart nesting
)

// readMessage parses raw's header; the body is read by walk.
func readMessage(raw []byte) (*mail.Message, error) {
	if len(raw) > MaxMessageBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrUnreadable, len(raw), MaxMessageBytes)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	return msg, nil
}

var wordDecoder = mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxMessageBytes))
	if err != nil {
		return nil, err
	}
	return strings.NewReader(toUTF8(b, charset)), nil
}}

// decodeHeader decodes RFC 2047 words, keeping the raw value when that fails.
func decodeHeader(v string) string {
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// content is what a message holds for Parse.
type content struct {
	text string // the first text/plain part that is not an attachment
	html string // the first text/html part that is not an attachment
	csvs []attachment
}

type attachment struct {
	name string
	data []byte
}

type walker struct {
	parts int
	c     content
}

// walk reads one MIME entity with header h and (still encoded) body.
func (w *walker) walk(h map[string][]string, body io.Reader, depth int) error {
	w.parts++
	if w.parts > MaxParts {
		return fmt.Errorf("%w: more than %d MIME parts", ErrUnreadable, MaxParts)
	}
	if depth > MaxDepth {
		return fmt.Errorf("%w: MIME parts nested more than %d deep", ErrUnreadable, MaxDepth)
	}
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	mediaType, params := "text/plain", map[string]string{}
	if ct := get("Content-Type"); ct != "" {
		mt, p, err := mime.ParseMediaType(ct)
		if err != nil {
			mt, _, _ = strings.Cut(ct, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
		}
		mediaType, params = mt, p
		if params == nil {
			params = map[string]string{}
		}
	}
	disposition, dparams, _ := mime.ParseMediaType(get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = cleanFileName(decodeHeader(name))

	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%w: %s without boundary", ErrUnreadable, mediaType)
		}
		mr := multipart.NewReader(body, boundary)
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: %w", ErrUnreadable, err)
			}
			if err := w.walk(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	if mediaType == "message/rfc822" {
		return nil // an attached message is not read
	}

	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: body})
	}
	// Forgiving: keep what could be decoded before an error.
	data, _ := io.ReadAll(io.LimitReader(r, MaxMessageBytes))

	isAttachment := strings.EqualFold(disposition, "attachment")
	switch {
	case mediaType == "text/csv" || mediaType == "text/comma-separated-values" ||
		strings.HasSuffix(strings.ToLower(name), ".csv"):
		if name == "" {
			name = "attachment.csv"
		}
		w.c.csvs = append(w.c.csvs, attachment{name: name, data: data})
	case isAttachment:
	case mediaType == "text/plain" && w.c.text == "":
		w.c.text = toUTF8(data, params["charset"])
	case mediaType == "text/html" && w.c.html == "":
		w.c.html = toUTF8(data, params["charset"])
	}
	return nil
}

// base64Cleaner drops the bytes a base64 body may hold besides the alphabet
// (spaces, stray characters), which the standard decoder refuses.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// cleanFileName makes an attachment name fit for an error line.
func cleanFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100])
	}
	return s
}

// toUTF8 decodes b in charset. Unknown charsets and text that is not valid UTF-8
// are read as Windows-1252 (a superset of ISO-8859-1 for text), which is what
// Outlook and Excel send. Line endings become "\n".
func toUTF8(b []byte, charset string) string {
	var s string
	switch cs := strings.ToLower(strings.TrimSpace(charset)); {
	case (cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") && utf8.Valid(b):
		s = string(b)
	case utf8.Valid(b) && !strings.Contains(cs, "8859") && !strings.Contains(cs, "1252") && cs != "latin1":
		s = string(b)
	default:
		s = decodeWindows1252(b)
	}
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// windows1252 maps bytes 0x80–0x9f; the others are ISO-8859-1.
var windows1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}

func decodeWindows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c >= 0x80 && c < 0xa0 {
			sb.WriteRune(windows1252[c-0x80])
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

var (
	htmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	htmlDropped = []*regexp.Regexp{
		regexp.MustCompile(`(?is)<head\b.*?</head\s*>`),
		regexp.MustCompile(`(?is)<style\b.*?</style\s*>`),
		regexp.MustCompile(`(?is)<script\b.*?</script\s*>`),
		regexp.MustCompile(`(?is)<title\b.*?</title\s*>`),
	}
	htmlSpace     = regexp.MustCompile(`[ \t\n\f\r]+`)
	htmlLineBreak = regexp.MustCompile(`(?i)<br\b[^>]*>|</(?:p|div|li|tr|h[1-6]|table|ul|ol|blockquote|pre)\s*>`)
	htmlCell      = regexp.MustCompile(`(?i)</t[dh]\s*>`)
	htmlTag       = regexp.MustCompile(`(?s)<[^>]*>`)
)

// htmlText is the text of an HTML body, one line per paragraph, <br> or block:
// enough to read "key: value" lines from an HTML-only mail (Outlook).
func htmlText(s string) string {
	s = htmlComment.ReplaceAllString(s, "")
	for _, re := range htmlDropped {
		s = re.ReplaceAllString(s, "")
	}
	s = htmlSpace.ReplaceAllString(s, " ")
	s = htmlLineBreak.ReplaceAllString(s, "\n")
	s = htmlCell.ReplaceAllString(s, " ")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
