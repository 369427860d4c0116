package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partnerlink/partnerlink/internal/testbrowser"
	"github.com/partnerlink/partnerlink/mailsink"
)

// walker is a person at a browser in front of a running `partnerlink dev`: they
// read their mail on dev's mail page and click what it links to. Screenshots are
// numbered in the order they were taken.
type walker struct {
	t      *testing.T
	d      *devSystem
	base   string
	ctx    context.Context
	shots  int
	opened map[int]bool // messages already opened on the mail page
}

// startDevWith starts `partnerlink dev` on free ports with dev's defaults changed
// by set, serves it over HTTP and stops it when t ends.
func startDevWith(t *testing.T, set func(*config)) (*devSystem, string) {
	t.Helper()
	ttl, err := time.ParseDuration(settings["invite-ttl"].def)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{InviteTTL: ttl}
	if set != nil {
		set(&cfg)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := startDev(ctx, ln, devAddrs{SMTP: "127.0.0.1:0", IMAP: "127.0.0.1:0"}, cfg, log)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, ln, d.handler, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		d.close()
		if strings.Contains(logs.String(), "level=ERROR") || t.Failed() {
			t.Logf("dev logs:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Error("dev logged errors")
		}
	})
	return d, d.base
}

func newWalker(t *testing.T, set func(*config)) *walker {
	d, base := startDevWith(t, set)
	return &walker{t: t, d: d, base: base, ctx: testbrowser.StartFor(t, 3*time.Minute), opened: map[int]bool{}}
}

// shot saves a screenshot named after the step.
func (w *walker) shot(name string) {
	w.t.Helper()
	w.shots++
	testbrowser.Screenshot(w.t, w.ctx, fmt.Sprintf("%02d-%s", w.shots, name))
	// Nothing on the page may push it wider than the window: a long link or
	// header would otherwise make the reader scroll sideways.
	wide, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](
		`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
	if err != nil {
		w.t.Fatalf("page width on %s: %v", name, err)
	}
	if wide {
		w.t.Errorf("the page of screenshot %s is wider than the window", name)
	}
}

func (w *walker) do(steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	testbrowser.Do(w.t, w.ctx, steps...)
}

func (w *walker) text(sel string) string {
	w.t.Helper()
	return testbrowser.Text(w.t, w.ctx, sel)
}

// heading waits for the page's h1 to read want: after a click that navigates,
// the old page may still be there for a while on a busy machine.
func (w *walker) heading(want string) {
	w.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		step, cancel := context.WithTimeout(w.ctx, 2*time.Second)
		s, err := chromedp.Run(step, chromedp.Text(chromedp.CSS("h1")))
		cancel()
		if err == nil && s == want {
			return
		}
		got = s
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(context.WithoutCancel(w.ctx), chromedp.Location())
	w.t.Fatalf("heading on %s is %q, want %q", loc, got, want)
}

// waitURL waits until the page's address has has: the page a click navigates to
// may carry the same elements as the page before.
func (w *walker) waitURL(has string) {
	w.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var loc string
	for time.Now().Before(deadline) {
		step, cancel := context.WithTimeout(w.ctx, 2*time.Second)
		loc, _ = chromedp.Run(step, chromedp.Location())
		cancel()
		if strings.Contains(loc, has) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatalf("the page is %s, want one whose address has %q", loc, has)
}

// contains fails unless the text of sel has every one of want.
func (w *walker) contains(sel string, want ...string) {
	w.t.Helper()
	got := w.text(sel)
	for _, s := range want {
		if !strings.Contains(got, s) {
			w.t.Fatalf("text of %s lacks %q:\n%s", sel, s, got)
		}
	}
}

// waitMail waits until a message to `to` that is not opened yet and whose text
// part has has arrived at dev's SMTP server.
func (w *walker) waitMail(to, has string) mailsink.Message {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, m := range w.d.sink.Messages() {
			if !w.opened[m.ID] && slices.Contains(m.To, to) && strings.Contains(m.Text, has) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, m := range w.d.sink.Messages() {
				got = append(got, fmt.Sprintf("%d %v %q", m.ID, m.To, m.Subject))
			}
			w.t.Fatalf("no mail to %s with %q after 20s; the sink has:\n%s", to, has, strings.Join(got, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openMail opens, as a person would, the newest unopened message to `to` whose
// text has has: the mail page, the message's subject, then the link in its text
// part that has has. It returns the message.
func (w *walker) openMail(to, has, name string) mailsink.Message {
	w.t.Helper()
	m := w.waitMail(to, has)
	w.opened[m.ID] = true
	w.do(chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="%d"]`, m.ID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="%d"]`, m.ID))))
	link := fmt.Sprintf(`pre a[href*=%q]`, has)
	w.do(chromedp.WaitVisible(chromedp.CSS(link)))
	w.shot(name + "-email")
	w.do(chromedp.Click(chromedp.CSS(link)))
	return m
}

// reopen opens message m on the mail page again and clicks its link that has has.
func (w *walker) reopen(m mailsink.Message, has, name string) {
	w.t.Helper()
	w.do(chromedp.Navigate(fmt.Sprintf("%s%s%d", w.base, devMailPath, m.ID)))
	link := fmt.Sprintf(`pre a[href*=%q]`, has)
	w.do(chromedp.WaitVisible(chromedp.CSS(link)))
	w.shot(name + "-email")
	w.do(chromedp.Click(chromedp.CSS(link)))
}

// mailPage shows the mail page and returns the text of its list.
func (w *walker) mailPage(name string) string {
	w.t.Helper()
	w.do(chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS("tbody")))
	w.shot(name)
	return w.text("tbody")
}

// api calls dev's partner API with key, as the partner's software would; want 0
// is any 2xx status.
func (w *walker) api(method, path, key, body string, want int) string {
	w.t.Helper()
	req, err := http.NewRequest(method, w.base+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want && (want != 0 || resp.StatusCode/100 != 2) {
		w.t.Fatalf("%s %s: %s, want %d\n%s", method, path, resp.Status, want, b)
	}
	return string(b)
}
