package mailsink

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed ui
var ui embed.FS

// Handler returns the web UI and a JSON API over the kept messages:
//
//	GET /                  list, newest first
//	GET /{id}              one message: headers, text part (links clickable),
//	                       HTML part in a sandboxed iframe
//	GET /{id}/raw          the message as received (.eml)
//	GET /{id}/html         the HTML part alone, sandboxed (the message page frames it)
//	GET /api/messages      JSON list, oldest first
//	GET /api/messages/{id} JSON of one message, with text, HTML and headers
//
// Links are relative, so the handler can be mounted under a prefix:
// mux.Handle("/mail/", http.StripPrefix("/mail", sink.Handler())).
func (s *Sink) Handler() http.Handler {
	funcs := template.FuncMap{"join": strings.Join}
	t := template.Must(template.New("ui").Funcs(funcs).ParseFS(ui, "ui/*.html"))
	h := &handler{sink: s, tmpl: t}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.list)
	mux.HandleFunc("GET /{id}", h.message)
	mux.HandleFunc("GET /{id}/raw", h.raw)
	mux.HandleFunc("GET /{id}/html", h.html)
	mux.HandleFunc("GET /api/messages", h.apiList)
	mux.HandleFunc("GET /api/messages/{id}", h.apiMessage)
	return secureHeaders(mux)
}

type handler struct {
	sink *Sink
	tmpl *template.Template
}

// secureHeaders forbids scripts and remote content on every page; inline styles
// are allowed for the HTML part shown in the iframe.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self' http: https:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	msgs := h.sink.Messages()
	slices.Reverse(msgs)
	h.render(w, "list.html", msgs)
}

// messagePage is what message.html shows.
type messagePage struct {
	Message
	Headers      []headerLine
	TextSegments []segment
}

type headerLine struct{ Name, Value string }

func (h *handler) message(w http.ResponseWriter, r *http.Request) {
	m, ok := h.lookup(w, r)
	if !ok {
		return
	}
	h.render(w, "message.html", messagePage{Message: m, Headers: headerLines(m), TextSegments: linkify(m.Text)})
}

// htmlPolicy is the CSP of a message's HTML part: no scripts, no remote content,
// a sandbox (an origin of its own), framed only by the message page. An inline
// srcdoc frame inherits the page's policy instead, and Chromium showed it blank.
const htmlPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"

func (h *handler) html(w http.ResponseWriter, r *http.Request) {
	m, ok := h.lookup(w, r)
	if !ok {
		return
	}
	if m.HTML == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", htmlPolicy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(m.HTML))
}

func (h *handler) raw(w http.ResponseWriter, r *http.Request) {
	m, ok := h.lookup(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="message-%d.eml"`, m.ID))
	_, _ = w.Write(m.Raw)
}

// apiMessage is the JSON form of a Message; Text, HTML and Headers only in the
// single-message response.
type apiMessage struct {
	ID        int                 `json:"id"`
	From      string              `json:"from"`
	To        []string            `json:"to"`
	Received  time.Time           `json:"received"`
	Subject   string              `json:"subject"`
	MessageID string              `json:"message_id"`
	Size      int                 `json:"size"`
	Text      string              `json:"text,omitempty"`
	HTML      string              `json:"html,omitempty"`
	Headers   map[string][]string `json:"headers,omitempty"`
}

func toAPI(m Message, full bool) apiMessage {
	a := apiMessage{ID: m.ID, From: m.From, To: m.To, Received: m.Received, Subject: m.Subject, MessageID: m.MessageID, Size: len(m.Raw)}
	if full {
		a.Text, a.HTML, a.Headers = m.Text, m.HTML, m.Header
	}
	return a
}

func (h *handler) apiList(w http.ResponseWriter, r *http.Request) {
	msgs := h.sink.Messages()
	out := make([]apiMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, toAPI(m, false))
	}
	writeJSON(w, out)
}

func (h *handler) apiMessage(w http.ResponseWriter, r *http.Request) {
	m, ok := h.lookup(w, r)
	if !ok {
		return
	}
	writeJSON(w, toAPI(m, true))
}

func (h *handler) lookup(w http.ResponseWriter, r *http.Request) (Message, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return Message{}, false
	}
	m, ok := h.sink.Message(id)
	if !ok {
		http.NotFound(w, r)
	}
	return m, ok
}

func (h *handler) render(w http.ResponseWriter, name string, data any) {
	var b strings.Builder
	if err := h.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		h.sink.log.Error("mailsink: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// headerLines lists a message's headers sorted by name, values decoded.
func headerLines(m Message) []headerLine {
	var out []headerLine
	for _, k := range slices.Sorted(maps.Keys(m.Header)) {
		for _, v := range m.Header[k] {
			out = append(out, headerLine{Name: k, Value: decodeHeader(v)})
		}
	}
	return out
}

// segment is a run of text, or a link if Link is set.
type segment struct {
	Text string
	Link bool
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify splits s into plain text and http(s) links, leaving trailing
// punctuation out of links. The template escapes both.
func linkify(s string) []segment {
	var out []segment
	last := 0
	for _, loc := range linkPattern.FindAllStringIndex(s, -1) {
		start, end := loc[0], loc[1]
		end = start + len(strings.TrimRight(s[start:end], ".,;:!?)'"))
		if start > last {
			out = append(out, segment{Text: s[last:start]})
		}
		out = append(out, segment{Text: s[start:end], Link: true})
		last = end
	}
	if last < len(s) {
		out = append(out, segment{Text: s[last:]})
	}
	return out
}
