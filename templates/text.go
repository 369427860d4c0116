package templates

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// textWidth is where plain-text lines are wrapped.
const textWidth = 76

// singleLine turns s into one line: every run of whitespace or control
// characters, CR and LF included, becomes one space; the ends are trimmed. It is
// applied to single-line fields and to rendered subjects, so no data can add a
// header line.
func singleLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// multiLine normalises free text: CRLF and CR become LF, other control characters
// except tab are dropped, trailing spaces of each line and blank lines at both
// ends are removed.
func multiLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// quote prefixes every line of s with "> " (">" for empty lines), as in a reply.
func quote(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// wrapText wraps lines longer than width at spaces. Continuation lines keep a
// quote prefix ("> ") or align under a list item ("  - "). Words longer than
// width, such as links, are never broken. Lines that fit are left alone, so the
// signature separator "-- " keeps its trailing space.
//
// It writes into one builder (a text part is wrapped on every send); a text with
// no line to wrap is returned as it is.
func wrapText(s string, width int) string {
	if !needsWrap(s, width) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/width + 16)
	for i, l := range lineSeq(s) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if !tooLong(l, width) {
			b.WriteString(l)
			continue
		}
		first, cont := wrapPrefix(l)
		b.WriteString(first)
		curLen := utf8.RuneCountInString(first)
		contLen := utf8.RuneCountInString(cont)
		empty := true
		for w := range strings.FieldsSeq(l[len(first):]) {
			wl := utf8.RuneCountInString(w)
			if !empty && curLen+1+wl > width {
				b.WriteByte('\n')
				b.WriteString(cont)
				curLen, empty = contLen, true
			}
			if !empty {
				b.WriteByte(' ')
				curLen++
			}
			b.WriteString(w)
			curLen += wl
			empty = false
		}
	}
	return b.String()
}

// tooLong reports whether line l has more than width characters.
func tooLong(l string, width int) bool {
	return len(l) > width && utf8.RuneCountInString(l) > width
}

// needsWrap reports whether any line of s has more than width characters.
func needsWrap(s string, width int) bool {
	for _, l := range lineSeq(s) {
		if tooLong(l, width) {
			return true
		}
	}
	return false
}

// lineSeq yields the lines of s split at "\n" with their index, as strings.Split
// would return them (a trailing "\n" gives a last, empty line).
func lineSeq(s string) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		for i := 0; ; i++ {
			l, rest, found := strings.Cut(s, "\n")
			if !yield(i, l) || !found {
				return
			}
			s = rest
		}
	}
}

// wrapPrefix returns the prefix of line l that stays on its first line and the
// prefix of its continuation lines.
func wrapPrefix(l string) (first, cont string) {
	indent := len(l) - len(strings.TrimLeft(l, " "))
	rest := l[indent:]
	switch {
	case strings.HasPrefix(rest, "> "):
		return l[:indent+2], l[:indent+2]
	case strings.HasPrefix(rest, "- "):
		return l[:indent+2], strings.Repeat(" ", indent+2)
	default:
		return l[:indent], l[:indent]
	}
}
