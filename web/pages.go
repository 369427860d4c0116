package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sync"
	"time"
)

//go:embed pages/*.html
var pageFiles embed.FS

//go:embed static
var staticFS embed.FS

func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	return http.FileServerFS(sub)
}

// pages holds one parsed template set per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

var pageNames = []string{"review", "decline", "partners", "agreement", "message",
	// Customer portal.
	"signin", "signin_confirm", "partner", "invitations", "remove_roles", "sign_agreement",
	"stopreminders", // Scheduler (sched)
	"directory",     // find a partner (directory)
}

func parsePages() (*pages, error) {
	funcs := template.FuncMap{"t": T, "tf": Tf, "thtml": THTML, "date": formatDate}
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(pageFiles, "pages/layout.html", "pages/nav.html", "pages/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse page %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// page is what the layout needs; every page's data embeds it.
type page struct {
	Title  string
	Lang   string
	Static string // path prefix of static files
}

// render writes a whole page. Pages that carry a token in their URL are never cached
// and never leak it through Referer.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := s.pages.byName[name].Execute(buf, data); err != nil {
		s.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderBuffers keeps the buffers pages are rendered into: a page is a few KB,
// and growing a new buffer for each one was a tenth of a render's allocations.
var renderBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return // an unusually large page: let it go
	}
	buf.Reset()
	renderBuffers.Put(buf)
}

// messagePage is a page that says one thing: an error, or an outcome.
type messagePage struct {
	page
	Heading string
	Message string
	Hint    string
	// Link and LinkLabel: where the reader goes next, when the page's text
	// names a page (journey).
	Link, LinkLabel string
}

// messageNext is the path (under the base URL) a message page links on to;
// its label is the text key.link (journey).
var messageNext = map[string][]string{
	"signed_out":     {"portal", "signin"},
	"signin_used":    {"portal", "signin"},
	"signin_invalid": {"portal", "signin"},
}

// message shows the page of text key (key.heading, key.msg with args, key.hint).
func (s *Server) message(w http.ResponseWriter, status int, lang, key string, args ...any) {
	heading := T(lang, key+".heading")
	mp := messagePage{
		page:    s.page(heading, lang),
		Heading: heading, Message: Tf(lang, key+".msg", args...), Hint: T(lang, key+".hint"),
	}
	if next, ok := messageNext[key]; ok {
		mp.Link, mp.LinkLabel = s.Links.Path(next...), T(lang, key+".link")
	}
	s.render(w, status, "message", mp)
}

// formatDate formats t for a page in lang.
func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(T(lang, "date"))
}

func (s *Server) page(title, lang string) page {
	return page{Title: title, Lang: lang, Static: s.Links.Path("static")}
}
