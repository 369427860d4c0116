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
func wrapText(s string, width int) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if utf8.RuneCountInString(l) <= width {
			out = append(out, l)
			continue
		}
		first, cont := wrapPrefix(l)
		words := strings.Fields(l[len(first):])
		cur := first
		curLen := utf8.RuneCountInString(cur)
		empty := true
		for _, w := range words {
			wl := utf8.RuneCountInString(w)
			if !empty && curLen+1+wl > width {
				out = append(out, cur)
				cur, curLen, empty = cont, utf8.RuneCountInString(cont), true
			}
			if !empty {
				cur += " "
				curLen++
			}
			cur += w
			curLen += wl
			empty = false
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
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
