package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// wrapTextReference is wrapText as it was first written (split, wrap word by
// word, join): the faster one must give the same text for every input.
func wrapTextReference(s string, width int) string {
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

// TestWrapTextAsReference compares wrapText with the reference on edge cases and
// on every golden text part, unwrapped (lines joined) and as it is, at several
// widths.
func TestWrapTextAsReference(t *testing.T) {
	inputs := []string{"", "\n", "\n\n", "a", "a\n", "\na", "     ", strings.Repeat(" ", 90),
		"> " + strings.Repeat("quoted words here ", 10), "  - " + strings.Repeat("listed item ", 12),
		strings.Repeat("ä", 80) + " ö", "tab\tseparated\t" + strings.Repeat("x ", 50), "-- ",
		"https://partnerlink.example/invite/" + strings.Repeat("A", 120) + " trailing words",
		strings.Repeat("word  ", 40) + "\r\n" + strings.Repeat("é ", 50)}
	goldens, err := filepath.Glob("testdata/*.golden.txt")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden text parts: %v", err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b), strings.ReplaceAll(string(b), "\n", " "))
	}
	for _, in := range inputs {
		for _, width := range []int{1, 10, 40, textWidth} {
			if got, want := wrapText(in, width), wrapTextReference(in, width); got != want {
				t.Errorf("wrapText(%.60q, %d) = %.200q, want %.200q", in, width, got, want)
			}
		}
	}
}
