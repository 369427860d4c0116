package web

import (
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// Every page text exists in every language, with the same placeholders.
func TestDictionariesComplete(t *testing.T) {
	for loc, d := range dictionaries {
		for key, en := range english {
			s, ok := d[key]
			if !ok {
				t.Errorf("%s lacks %q", loc, key)
				continue
			}
			if strings.Count(s, "%s") != strings.Count(en, "%s") {
				t.Errorf("%s %q has %d placeholders, English %d", loc, key, strings.Count(s, "%s"), strings.Count(en, "%s"))
			}
		}
		for _, key := range slices.Sorted(maps.Keys(d)) {
			if _, ok := english[key]; !ok {
				t.Errorf("%s has %q, which English lacks", loc, key)
			}
		}
	}
}

func TestLocaleFor(t *testing.T) {
	tests := []struct {
		inv, accept, want string
	}{
		{"de", "en-US", "de"},
		{"en", "de-DE", "en"},
		{"", "de-AT,de;q=0.9,en;q=0.8", "de"},
		{"", "fr-FR, de;q=0.5", "de"},
		{"", "fr", "en"},
		{"", "", "en"},
		{"xx", "", "en"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tt.accept)
		if got := localeFor(tt.inv, r); got != tt.want {
			t.Errorf("localeFor(%q, %q) = %q, want %q", tt.inv, tt.accept, got, tt.want)
		}
	}
}

func TestTHTMLEscapes(t *testing.T) {
	got := string(THTML("en", "review.lead_html", "<script>alert(1)</script>", "A & B", `"x"`))
	if strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;script&gt;") || !strings.Contains(got, "A &amp; B") {
		t.Errorf("THTML did not escape its arguments: %s", got)
	}
}
