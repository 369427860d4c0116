package requests

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// nested is a request email whose body is multipart nested depth deep, with a
// request at the bottom.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: partner@contoso.example\r\nSubject: Invite\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ncustomer: ada@fabrikam.example\r\ntype: reseller\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// manyParts is a request email of n sibling parts.
func manyParts(n int) []byte {
	var b strings.Builder
	b.WriteString("Subject: Invite\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for range n {
		b.WriteString("--b\r\nContent-Type: text/plain\r\n\r\ncustomer: ada@fabrikam.example\r\n")
	}
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}

// TestAttackInboundBounds (issue 6 item 8): a request email of any size or nesting
// is refused quickly with an error that says which bound it broke; within the
// bounds the same shapes parse.
func TestAttackInboundBounds(t *testing.T) {
	huge := append([]byte("Subject: Invite\r\n\r\ncustomer: ada@fabrikam.example\r\n"), make([]byte, 50<<20)...)
	for _, c := range []struct {
		name string
		raw  []byte
		want string // in the error; "" parses
	}{
		{"50 MB message", huge, "at most 10485760"},
		{"1,000-deep multipart nesting", nested(1000), "nested more than 5 deep"},
		{"10,000 parts", manyParts(10000), "more than 50 MIME parts"},
		{"nesting within the bound", nested(MaxDepth), ""},
		{"parts within the bound", manyParts(MaxParts - 1), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse(c.raw)
			took := time.Since(start)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case c.want != "" && (!errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("Parse: %v; want ErrUnreadable saying %q", err, c.want)
			}
			if took > 5*time.Second { // a bound, not a wait: the refusal reads little
				t.Errorf("Parse took %s", took)
			}
		})
	}
}
