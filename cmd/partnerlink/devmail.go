package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/internal/memimap"
)

// runDevMail drops a message into the inbox of a running `partnerlink dev`, as if a
// partner (or a mail server sending a bounce) had sent it.
func runDevMail(ctx context.Context, args []string, stdout, _ io.Writer) error {
	f := newFlags("dev-mail", "Drops a message into the inbox of a running `partnerlink dev`: an .eml file\n"+
		"(--file, - for standard input), or one composed from --from, --to, --subject and --body.", stdout)
	addr := f.fs.String("imap-addr", defaultDevIMAPAddr, "address of dev's IMAP server")
	file := f.fs.String("file", "", "an RFC 5322 message (.eml) to drop in; - reads standard input")
	from := f.fs.String("from", "partners@contoso.example", "sender of a composed message")
	to := f.fs.String("to", "", "recipient of a composed message (dev prints the demo partner's request address)")
	subject := f.fs.String("subject", "Invite", "subject of a composed message")
	body := f.fs.String("body", "", `body of a composed message, e.g. "customer: billing@fabrikam.example\ntype: reseller" (\n is a line break)`)
	if _, err := f.parse(args); err != nil {
		return err
	}
	raw, err := devMessage(*file, *from, *to, *subject, *body)
	if err != nil {
		return err
	}
	if err := memimap.Append(*addr, devIMAPUser, devIMAPPassword, "INBOX", raw); err != nil {
		return fmt.Errorf("%w (is `partnerlink dev` running with --imap-addr %s?)", err, *addr)
	}
	fmt.Fprintf(stdout, "dropped a %d-byte message into dev's inbox at %s\n", len(raw), *addr)
	return nil
}

// devMessage reads the message to drop in, or composes one.
func devMessage(file, from, to, subject, body string) ([]byte, error) {
	switch {
	case file == "-":
		return io.ReadAll(io.LimitReader(os.Stdin, 10<<20))
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, configErrorf("--file: %v", err)
		}
		return b, nil
	case to == "" || body == "":
		return nil, configErrorf("give --file, or --to and --body to compose a message")
	}
	for name, v := range map[string]string{"--from": from, "--to": to} {
		if _, err := mail.ParseAddress(v); err != nil {
			return nil, configErrorf("%s %q: %v", name, v, err)
		}
	}
	if strings.ContainsAny(subject, "\r\n") {
		return nil, configErrorf("--subject must be one line")
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	var b strings.Builder
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <dev-mail.%s@partnerlink.localhost>\r\n", hex.EncodeToString(id))
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", from, to, subject)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, `\n`, "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	return []byte(b.String()), nil
}
