package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"sync"
	texttemplate "text/template"
)

// files holds one directory per kind; a new kind's directory is added here.
//
//go:embed invitation
//go:embed request-reply
//go:embed bounce-notice
//go:embed signin-link
//go:embed agreement-request
//go:embed reminder
//go:embed notification
//go:embed lead
var files embed.FS

// Set holds every kind's templates for every locale, parsed once. It is safe for
// concurrent use.
type Set struct {
	kinds  map[Kind]map[string]*localized
	labels map[string]*labels
}

// localized is one kind's templates in one locale.
type localized struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// New parses every embedded template. An error means a template file is missing
// or broken, which is a bug in this package.
func New() (*Set, error) {
	s := &Set{
		kinds:  make(map[Kind]map[string]*localized),
		labels: allLabels(),
	}
	for _, spec := range kindSpecs() {
		byLocale := make(map[string]*localized)
		for _, loc := range Locales() {
			l, err := parseLocalized(spec.kind, loc, s.labels[loc].funcs())
			if err != nil {
				return nil, err
			}
			byLocale[loc] = l
		}
		s.kinds[spec.kind] = byLocale
	}
	return s, nil
}

// parseLocalized parses <kind>/subject.<loc>.txt, body.<loc>.txt and
// body.<loc>.html.
func parseLocalized(k Kind, loc string, funcs map[string]any) (*localized, error) {
	read := func(name string) (string, string, error) {
		path := fmt.Sprintf("%s/%s", k, name)
		b, err := files.ReadFile(path)
		if err != nil {
			return "", "", fmt.Errorf("templates: %w", err)
		}
		return path, string(b), nil
	}
	var l localized
	for _, part := range []struct {
		name string
		dst  **texttemplate.Template
	}{{"subject." + loc + ".txt", &l.subject}, {"body." + loc + ".txt", &l.text}} {
		path, src, err := read(part.name)
		if err != nil {
			return nil, err
		}
		t, err := texttemplate.New(path).Option("missingkey=error").Funcs(funcs).Parse(src)
		if err != nil {
			return nil, fmt.Errorf("templates: parse %s: %w", path, err)
		}
		*part.dst = t
	}
	path, src, err := read("body." + loc + ".html")
	if err != nil {
		return nil, err
	}
	l.html, err = htmltemplate.New(path).Option("missingkey=error").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("templates: parse %s: %w", path, err)
	}
	return &l, nil
}

// Render renders an email of kind in locale. data is the kind's model (for
// KindInvitation an InvitationData, by value or pointer); it is validated first.
// Render is what previews use; senders use the typed methods such as Invitation.
func (s *Set) Render(kind Kind, locale string, data any) (Message, error) {
	spec, ok := specFor(kind)
	if !ok {
		return Message{}, fmt.Errorf("%w: %q (have %v)", ErrUnknownKind, kind, Kinds())
	}
	loc, ok := matchLocale(locale)
	if !ok {
		return Message{}, fmt.Errorf("%w: %q (have %v)", ErrUnknownLocale, locale, Locales())
	}
	view, err := spec.prepare(data)
	if err != nil {
		return Message{}, err
	}
	t := s.kinds[kind][loc]
	subject, text, html := getBuffer(), getBuffer(), getBuffer()
	defer putBuffer(subject)
	defer putBuffer(text)
	defer putBuffer(html)
	if err := t.subject.Execute(subject, view); err != nil {
		return Message{}, fmt.Errorf("templates: render %s subject (%s): %w", kind, loc, err)
	}
	if err := t.text.Execute(text, view); err != nil {
		return Message{}, fmt.Errorf("templates: render %s text (%s): %w", kind, loc, err)
	}
	if err := t.html.Execute(html, view); err != nil {
		return Message{}, fmt.Errorf("templates: render %s html (%s): %w", kind, loc, err)
	}
	return Message{
		Subject: singleLine(subject.String()),
		Text:    wrapText(text.String(), textWidth),
		HTML:    html.String(),
	}, nil
}

// Render's buffers are reused: an email's parts are a few KiB each, and growing
// fresh buffers to that size on every send was a third of rendering's garbage.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps an unusually large rendering's buffer out of the pool.
const maxPooledBuffer = 64 << 10

func getBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	buffers.Put(b)
}
