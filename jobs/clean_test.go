package jobs

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/partnerlink/partnerlink/bounces"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

// cleanBase is the base URL of the templates' sample data: every link must start with it.
const (
	cleanBase   = "https://partnerlink.example/"
	cleanDomain = "partnerlink.example"
)

var (
	hrefPattern   = regexp.MustCompile(`(?i)\b(?:href|src|background|action)\s*=\s*"([^"]*)"`)
	urlInText     = regexp.MustCompile(`https?://[^\s<>")]+`)
	saScore       = regexp.MustCompile(`Content analysis details:\s+\((-?\d+(?:\.\d+)?) points`)
	saRule        = regexp.MustCompile(`(?m)^\s*(-?\d+(?:\.\d+)?)\s+([A-Z][A-Z0-9_]+)\s+(.*)$`)
	styleBlock    = regexp.MustCompile(`(?i)<style[\s>]`)
	imageTag      = regexp.MustCompile(`(?i)<img[\s>]`)
	cssURL        = regexp.MustCompile(`(?i)url\(`)
	spamThreshold = 1.0
)

// TestMessagesAreClean renders every kind the templates know in every locale
// with its preview sample data, sends it through the real mailer (DKIM-signed)
// to a real SMTP server and checks what arrived: a text and an HTML part, styles
// inline only, no images or tracking, links only to the base URL, a Date, a
// Message-ID on the sender's domain, Auto-Submitted on everything but
// invitations, a valid DKIM signature — and a SpamAssassin score (offline rules,
// spamassassin -L -t) below 1.0. It logs the kind × locale score table.
func TestMessagesAreClean(t *testing.T) {
	sa, err := exec.LookPath("spamassassin")
	if err != nil {
		t.Fatal("spamassassin is not installed: scripts/test.sh installs it (apt-get install spamassassin)")
	}
	e := newEnv(t)
	key := testDKIM(t)
	host, port, _ := net.SplitHostPort(e.sink.Addr())
	portN, _ := strconv.Atoi(port)
	m, err := mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@" + cleanDomain,
		FromName: "partnerlink", HeloName: "mail." + cleanDomain, Timeout: 5 * time.Second, DKIM: []mailer.DKIMKey{key}}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	record, err := key.Record()
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(name string) ([]string, error) {
		if strings.TrimSuffix(name, ".") == key.RecordName() {
			return []string{record}, nil
		}
		return nil, fmt.Errorf("no TXT record %s", name)
	}

	var table strings.Builder
	table.WriteString("| kind | " + strings.Join(templates.Locales(), " | ") + " |\n|---|" + strings.Repeat("---|", len(templates.Locales())) + "\n")
	for _, kind := range templates.Kinds() {
		table.WriteString("| " + string(kind) + " |")
		for _, loc := range templates.Locales() {
			var score float64
			t.Run(string(kind)+"/"+loc, func(t *testing.T) {
				got := sendSample(t, e, m, kind, loc)
				checkClean(t, got, kind, lookup)
				score = spamScore(t, sa, got.Raw)
			})
			fmt.Fprintf(&table, " %.1f |", score)
		}
		table.WriteString("\n")
	}
	t.Logf("SpamAssassin scores (spamassassin -L -t, threshold %.1f):\n%s", spamThreshold, table.String())

	// The harness tells spam when it sees it: the same mailer, a spammer's text.
	t.Run("a spammy message scores high", func(t *testing.T) {
		spam := mailer.Message{To: "lee.reader@northwind.example", Subject: "FREE MONEY!!! ACT NOW - 100% GUARANTEED",
			Text: "Dear friend, you have WON $1,000,000 USD!!! Click here to claim your prize. Viagra, cialis, " +
				"no prescription needed. Make money fast, work from home, risk free, 100% guaranteed. Unsubscribe here.\n",
			HTML: `<html><body><p><font size="7" color="red">FREE MONEY!!!</font></p><p>Viagra. Click here. 100% GUARANTEED.</p></body></html>`}
		before := len(e.sink.Messages())
		if err := m.Send(context.Background(), spam); err != nil {
			t.Fatal(err)
		}
		got, err := e.sink.Wait(t.Context(), before+1)
		if err != nil {
			t.Fatal(err)
		}
		if score := spamScoreOf(t, sa, got[before].Raw); score < spamThreshold {
			t.Errorf("a spammy message scored %.1f, below %.1f: the check would pass anything", score, spamThreshold)
		}
	})
}

// sendSample renders kind's sample in loc, sends it as partnerlink sends that
// kind, and returns what the SMTP server received.
func sendSample(t *testing.T, e *env, m *mailer.Mailer, kind templates.Kind, loc string) mailsink.Message {
	t.Helper()
	data, err := templates.Sample(kind, partnerships.DelegatedAdmin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.tpl.Render(kind, loc, data)
	if err != nil {
		t.Fatal(err)
	}
	id := "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb"
	msg := mailer.Message{
		// Not an address of any sample, as the recipient of a notice is not the
		// address it is about.
		To: "lee.reader@northwind.example", ToName: "Lee Reader", Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		MessageID: mailer.MessageID(id+"."+loc, string(kind), cleanDomain), Headers: KindHeaders(kind),
	}
	if kind == templates.KindInvitation {
		msg.ReturnPath = bounces.ReturnPath(id, cleanDomain)
	}
	before := len(e.sink.Messages())
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := e.sink.Wait(ctx, before+1)
	if err != nil {
		t.Fatal(err)
	}
	return got[before]
}

// checkClean checks one received message of kind.
func checkClean(t *testing.T, parsed mailsink.Message, kind templates.Kind, lookup func(string) ([]string, error)) {
	t.Helper()
	raw, h := parsed.Raw, parsed.Header
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := h.Get("Message-Id"); !strings.HasSuffix(id, "@"+cleanDomain+">") {
		t.Errorf("Message-ID %q is not on the sender's domain %s", id, cleanDomain)
	}
	auto := h.Get("Auto-Submitted")
	if kind == templates.KindInvitation && auto != "" {
		t.Errorf("an invitation, which a partner asked for, says Auto-Submitted: %s", auto)
	}
	if kind != templates.KindInvitation && !strings.HasPrefix(auto, "auto-") {
		t.Errorf("a notification without Auto-Submitted (got %q)", auto)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative") || strings.TrimSpace(parsed.Text) == "" || strings.TrimSpace(parsed.HTML) == "" {
		t.Errorf("want multipart/alternative with a text and an HTML part: %s, text %d bytes, html %d bytes",
			h.Get("Content-Type"), len(parsed.Text), len(parsed.HTML))
	}
	if styleBlock.MatchString(parsed.HTML) {
		t.Errorf("HTML has a <style> block: styles must be inline")
	}
	if imageTag.MatchString(parsed.HTML) || cssURL.MatchString(parsed.HTML) {
		t.Errorf("HTML loads an image (a tracking pixel or remote content)")
	}
	for _, l := range hrefPattern.FindAllStringSubmatch(parsed.HTML, -1) {
		if u := l[1]; !strings.HasPrefix(u, cleanBase) && !strings.HasPrefix(u, "mailto:") {
			t.Errorf("HTML links to %q, outside the base URL %s", u, cleanBase)
		}
	}
	for _, u := range urlInText.FindAllString(parsed.Text, -1) {
		if !strings.HasPrefix(u, cleanBase) {
			t.Errorf("text links to %q, outside the base URL %s", u, cleanBase)
		}
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Errorf("DKIM: %v, %v", vs, err)
	}
}

// spamScore runs SpamAssassin's offline rules on raw, logs the rules that fired
// and fails when the score is 1.0 or more.
func spamScore(t *testing.T, sa string, raw []byte) float64 {
	t.Helper()
	score := spamScoreOf(t, sa, raw)
	if score >= spamThreshold {
		t.Errorf("SpamAssassin score %.1f, want below %.1f", score, spamThreshold)
	}
	return score
}

// spamScoreOf runs SpamAssassin's offline rules (spamassassin -L -t) on raw and
// logs the score and the rules that fired.
func spamScoreOf(t *testing.T, sa string, raw []byte) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sa, "-L", "-t")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("spamassassin -L -t: %v", err)
	}
	m := saScore.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no score in spamassassin's report:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	// The rules table: from the score line to the first blank line after it.
	report := out[bytes.Index(out, m[0]):]
	if i := bytes.Index(report, []byte("\n----")); i >= 0 {
		if j := bytes.Index(report[i+1:], []byte("\n\n")); j >= 0 {
			report = report[:i+1+j]
		}
	}
	var rules []string
	for _, r := range saRule.FindAllSubmatch(report, -1) {
		rules = append(rules, fmt.Sprintf("%s %s", r[1], r[2]))
	}
	t.Logf("score %.1f, rules: %s", score, strings.Join(rules, ", "))
	return score
}

// testDKIM is an RSA-2048 key for partnerlink.example, selector "pl".
func testDKIM(t *testing.T) mailer.DKIMKey {
	t.Helper()
	p, err := mailer.GenerateDKIMKey(mailer.DKIMRSA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mailer.ParseDKIMPrivateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	return mailer.DKIMKey{Selector: "pl", Domain: cleanDomain, Signer: s}
}
