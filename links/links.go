// Package links builds partnerlink's public URLs. Every link sent in an email or
// shown on a page starts with the configured base URL, never with a request's Host.
package links

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrInvalidBase is returned for a base URL partnerlink cannot build links on.
var ErrInvalidBase = errors.New("links: invalid base URL")

// Builder builds absolute links under one base URL.
type Builder struct {
	base *url.URL // no trailing slash in Path
}

// New parses base, an absolute http or https URL without query or fragment,
// e.g. https://partners.example.com or https://example.com/partnerlink.
func New(base string) (*Builder, error) {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidBase, base, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: %q: scheme must be http or https", ErrInvalidBase, base)
	case u.Host == "":
		return nil, fmt.Errorf("%w: %q: no host", ErrInvalidBase, base)
	case u.User != nil:
		return nil, fmt.Errorf("%w: %q: must not contain a user name or password", ErrInvalidBase, base)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("%w: %q: must not have a query or fragment", ErrInvalidBase, base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Builder{base: u}, nil
}

// Secure reports whether links are https (cookies are then marked Secure).
func (b *Builder) Secure() bool { return b.base.Scheme == "https" }

// Origin is scheme://host[:port] of the base URL, as browsers send it in Origin.
func (b *Builder) Origin() string { return b.base.Scheme + "://" + b.base.Host }

// Host is the base URL's host name without port.
func (b *Builder) Host() string { return b.base.Hostname() }

// Path returns the base URL's path prefix joined with the escaped segments, for
// routing and for links inside pages.
func (b *Builder) Path(segments ...string) string {
	var sb strings.Builder
	sb.WriteString(b.base.Path)
	for _, s := range segments {
		sb.WriteByte('/')
		sb.WriteString(url.PathEscape(s))
	}
	if sb.Len() == 0 {
		return "/"
	}
	return sb.String()
}

// URL returns the absolute URL of the escaped segments under the base.
func (b *Builder) URL(segments ...string) string { return b.Origin() + b.Path(segments...) }

// Invite is the link in an invitation email.
func (b *Builder) Invite(token string) string { return b.URL("invite", token) }

// Agreement is the page that shows one version of the customer agreement.
func (b *Builder) Agreement(version, locale string) string {
	return b.URL("agreements", version, locale)
}
