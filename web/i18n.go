package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strings"
)

// dictionary is one locale's page texts. A key ending in "_html" is a format whose
// %s arguments are escaped before they are put in.
type dictionary map[string]string

var dictionaries = map[string]dictionary{"en": english, "de": german}

const defaultLocale = "en"

// localeFor picks the page language: the invitation's when known, else the first
// supported language the browser asks for, else English.
func localeFor(invLocale string, r *http.Request) string {
	if _, ok := dictionaries[invLocale]; ok {
		return invLocale
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := dictionaries[base]; ok {
			return base
		}
	}
	return defaultLocale
}

// T returns the text for key in locale, falling back to English.
func T(locale, key string) string {
	if s, ok := dictionaries[locale][key]; ok {
		return s
	}
	if s, ok := english[key]; ok {
		return s
	}
	return key
}

// TOr returns the text for prefix+name in locale, or name itself when no
// dictionary has that key (an audit action, a detail field, a status the pages
// have no words for).
func TOr(locale, prefix, name string) string {
	if s := T(locale, prefix+name); s != prefix+name {
		return s
	}
	return name
}

// Tf formats the text for key with args (plain text, no escaping needed: the page
// templates escape it).
func Tf(locale, key string, args ...any) string { return fmt.Sprintf(T(locale, key), args...) }

// THTML formats an "_html" text, escaping every argument.
func THTML(locale, key string, args ...string) template.HTML {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = html.EscapeString(a)
	}
	return template.HTML(fmt.Sprintf(T(locale, key), esc...)) //nolint:gosec // arguments escaped above
}
