package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"

	"github.com/partnerlink/partnerlink/mailer"
)

// dkimKeys reads --dkim-key, --dkim-selector and --dkim-domain: keys newest
// first, one selector each; the domain defaults to fromDomain. No keys: nil.
func dkimKeys(cfg config, fromDomain string) ([]mailer.DKIMKey, error) {
	if strings.TrimSpace(cfg.DKIMKey) == "" {
		if strings.TrimSpace(cfg.DKIMSelector) != "" {
			return nil, configErrorf("--dkim-selector (PARTNERLINK_DKIM_SELECTOR) is set but --dkim-key (PARTNERLINK_DKIM_KEY) is empty")
		}
		return nil, nil
	}
	sources := splitKeys(cfg.DKIMKey)
	selectors := strings.Split(cfg.DKIMSelector, ",")
	if strings.TrimSpace(cfg.DKIMSelector) == "" || len(selectors) != len(sources) {
		return nil, configErrorf("--dkim-selector (PARTNERLINK_DKIM_SELECTOR) %q: want one selector per --dkim-key, %d in all, newest first", cfg.DKIMSelector, len(sources))
	}
	domain := strings.TrimSpace(cfg.DKIMDomain)
	if domain == "" {
		domain = fromDomain
	}
	if domain == "" {
		return nil, configErrorf("--dkim-domain (PARTNERLINK_DKIM_DOMAIN) is required when the sender address is not known")
	}
	keys := make([]mailer.DKIMKey, 0, len(sources))
	for i, src := range sources {
		pemBytes := []byte(src)
		if !strings.HasPrefix(src, "-----BEGIN") {
			b, err := os.ReadFile(src)
			if err != nil {
				return nil, configErrorf("--dkim-key (PARTNERLINK_DKIM_KEY) key %d: %v", i+1, err)
			}
			pemBytes = b
		}
		signer, err := mailer.ParseDKIMPrivateKey(pemBytes)
		if err != nil {
			return nil, configErrorf("--dkim-key (PARTNERLINK_DKIM_KEY) key %d: %v", i+1, err)
		}
		k := mailer.DKIMKey{Selector: strings.TrimSpace(selectors[i]), Domain: domain, Signer: signer}
		if err := k.Validate(); err != nil {
			return nil, configErrorf("--dkim-key / --dkim-selector / --dkim-domain key %d: %v", i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// splitKeys splits a --dkim-key list at commas; PEM text (base64) has none. A
// PEM given in one line of an environment variable may write its line breaks as \n.
func splitKeys(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(strings.ReplaceAll(part, `\n`, "\n"))
		out = append(out, part)
	}
	return out
}

func keysDKIM(_ context.Context, args []string, stdout io.Writer) error {
	f := newFlags("keys dkim", "Prints a new DKIM private key (PEM) for --dkim-key. Save it to a file, publish the\n"+
		"record `partnerlink dns` prints for it, then put it first in --dkim-key with a new selector.", stdout)
	typ := f.fs.String("type", mailer.DKIMRSA, "key type: rsa (2048 bits) or ed25519")
	if _, err := f.parse(args); err != nil {
		return err
	}
	p, err := mailer.GenerateDKIMKey(*typ)
	if err != nil {
		return configErrorf("--type: %v", err)
	}
	_, err = stdout.Write(p)
	return err
}

func runDNS(_ context.Context, args []string, stdout, _ io.Writer) error {
	f := newFlags("dns", "Prints the DNS records to publish for the sender's domain: a DKIM key record per\n"+
		"selector, and suggestions for SPF and DMARC.", stdout, "dkim-key", "dkim-selector", "dkim-domain", "mail-from")
	cfg, err := f.parse(args, "dkim-key", "dkim-selector")
	if err != nil {
		return err
	}
	fromDomain := ""
	if cfg.MailFrom != "" {
		a, err := mail.ParseAddress(cfg.MailFrom)
		if err != nil {
			return configErrorf("--mail-from (PARTNERLINK_MAIL_FROM) %q: %v", cfg.MailFrom, err)
		}
		fromDomain = messageIDDomain(a.Address)
	}
	keys, err := dkimKeys(cfg, fromDomain)
	if err != nil {
		return err
	}
	domain := keys[0].Domain
	fmt.Fprintf(stdout, "; DKIM: one record per selector. %s signs now; keep the older ones published until\n", keys[0].Selector)
	fmt.Fprintln(stdout, "; mail they signed has been delivered (a few days), then remove them.")
	for _, k := range keys {
		rec, err := k.Record()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s. TXT %s\n", k.RecordName(), txtValue(rec))
	}
	if fromDomain != "" && fromDomain != domain && !strings.HasSuffix(fromDomain, "."+domain) && !strings.HasSuffix(domain, "."+fromDomain) {
		fmt.Fprintf(stdout, "; WARNING: the DKIM domain %s is not the sender's domain %s nor its parent: DMARC will not count this signature.\n", domain, fromDomain)
	}
	fmt.Fprintln(stdout, "\n; SPF (suggestion): bounces come back to the sender's domain, so SPF is checked there.")
	fmt.Fprintln(stdout, "; Add your SMTP relay's include: or ip4:/ip6: terms before ~all.")
	sender := domain
	if fromDomain != "" {
		sender = fromDomain
	}
	fmt.Fprintf(stdout, "%s. TXT \"v=spf1 mx ~all\"\n", sender)
	fmt.Fprintln(stdout, "\n; DMARC (suggestion): start with p=none and read the reports; move to p=quarantine once")
	fmt.Fprintln(stdout, "; only your own mail passes.")
	fmt.Fprintf(stdout, "_dmarc.%s. TXT \"v=DMARC1; p=none; adkim=r; aspf=r; rua=mailto:dmarc-reports@%s\"\n", sender, sender)
	return nil
}

// txtValue quotes a TXT record value in 255-byte strings, as DNS needs.
func txtValue(s string) string {
	var parts []string
	for len(s) > 255 {
		parts = append(parts, `"`+s[:255]+`"`)
		s = s[255:]
	}
	parts = append(parts, `"`+s+`"`)
	return strings.Join(parts, " ")
}

// dkimSummary names the signing key for the log: "sel._domainkey.example.com (rsa)".
func dkimSummary(keys []mailer.DKIMKey) string {
	if len(keys) == 0 {
		return "off"
	}
	return keys[0].RecordName() + " (" + keys[0].Type() + ")"
}
