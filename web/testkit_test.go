package web

import (
	"testing"

	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// testKit is what every test server of this package is built with besides its
// store and queue: a token ring of one key (with opts, e.g. a clock), links on
// base, and the templates.
func testKit(tb testing.TB, base string, opts ...tokens.Option) (*tokens.Ring, *links.Builder, *templates.Set) {
	tb.Helper()
	key, err := tokens.GenerateKey("k1")
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := tokens.NewRing([]tokens.Key{key}, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	lb, err := links.New(base)
	if err != nil {
		tb.Fatal(err)
	}
	tpl, err := templates.New()
	if err != nil {
		tb.Fatal(err)
	}
	return ring, lb, tpl
}
