package bounces

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// nestedDSN is a bounce whose delivery-status part sits depth multiparts deep.
func nestedDSN(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n" +
		"Final-Recipient: rfc822; ada@fabrikam.example\r\nAction: failed\r\nStatus: 5.1.1\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// TestAttackInboundBounds (issue 6 item 8): a message of any size is refused
// quickly with ErrUnreadable naming the bound; nesting and parts beyond the bounds
// are not walked (the report deep down is not seen), quickly and without error;
// within the bounds the same report is read.
func TestAttackInboundBounds(t *testing.T) {
	var many strings.Builder
	many.WriteString("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for range 10000 {
		many.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n")
	}
	many.WriteString("--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; ada@fabrikam.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n")
	for _, c := range []struct {
		name    string
		raw     []byte
		wantErr string // "" no error
		bounce  bool
	}{
		{"50 MB message", append(nestedDSN(1), make([]byte, 50<<20)...), "at most 10485760", false},
		{"1,000-deep multipart nesting", nestedDSN(1000), "", false},
		{"10,000 parts before the report", []byte(many.String()), "", false},
		{"nesting within the bound", nestedDSN(MaxDepth), "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			r, err := Parse(c.raw)
			took := time.Since(start)
			switch {
			case c.wantErr != "" && (!errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("Parse: %v; want ErrUnreadable saying %q", err, c.wantErr)
			case c.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case r.Bounce != c.bounce:
				t.Fatalf("Parse: Bounce %t, want %t (%+v)", r.Bounce, c.bounce, r)
			}
			if took > 5*time.Second { // a bound, not a wait
				t.Errorf("Parse took %s", took)
			}
		})
	}
}
