package mailsink

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const evilSubject = `<script>alert("x")</script>`

// fill sends two messages: a plain one and one with a hostile subject and HTML.
func fill(t *testing.T, s *Sink) {
	t.Helper()
	if err := send(t, s, "a@example.com", []string{"first@example.com"}, simple("first")); err != nil {
		t.Fatal(err)
	}
	raw := "From: a@example.com\r\nTo: b@example.com\r\nSubject: " + evilSubject + "\r\n" +
		"Message-ID: <evil@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=zz\r\n\r\n" +
		"--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Open https://partnerlink.example/accept?t=1&x=2. Or <b>not</b>.\r\n" +
		"--zz\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<p onclick="steal()">Hi "you" &amp; <script>alert(2)</script></p>` + "\r\n" +
		"--zz--\r\n"
	if err := send(t, s, "a@example.com", []string{"second@example.com"}, raw); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, rec.Result().Header, string(b)
}

func TestHandlerPages(t *testing.T) {
	s := startSink(t, Options{})
	fill(t, s)
	h := s.Handler()

	t.Run("list", func(t *testing.T) {
		code, hdr, body := get(t, h, "/")
		if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("GET / = %d %s", code, hdr.Get("Content-Type"))
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("list page contains an unescaped script:\n%s", body)
		}
		second, first := strings.Index(body, `href="2"`), strings.Index(body, `href="1"`)
		if second < 0 || first < 0 || second > first {
			t.Errorf("list is not newest first:\n%s", body)
		}
		if !strings.Contains(body, "&lt;script&gt;") || !strings.Contains(body, "second@example.com") {
			t.Errorf("list lacks the escaped subject or recipient:\n%s", body)
		}
		if hdr.Get("Content-Security-Policy") == "" {
			t.Error("no Content-Security-Policy")
		}
	})

	t.Run("message", func(t *testing.T) {
		code, _, body := get(t, h, "/2")
		if code != http.StatusOK {
			t.Fatalf("GET /2 = %d", code)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "<b>not</b>") || strings.Contains(body, `<p onclick`) {
			t.Errorf("message page contains unescaped content:\n%s", body)
		}
		for _, want := range []string{
			`<h1>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1>`,
			`<a href="https://partnerlink.example/accept?t=1&amp;x=2" rel="noreferrer">https://partnerlink.example/accept?t=1&amp;x=2</a>. Or &lt;b&gt;not&lt;/b&gt;.`,
			`src="2/html"`,
			`sandbox="allow-popups allow-popups-to-escape-sandbox"`,
			`<a href="2/raw">`,
			"&lt;evil@example.com&gt;",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("message page lacks %s\n%s", want, body)
			}
		}
	})

	t.Run("html part", func(t *testing.T) {
		code, hdr, body := get(t, h, "/2/html")
		if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(body, "steal()") {
			t.Fatalf("GET /2/html = %d %s\n%s", code, hdr.Get("Content-Type"), body)
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox allow-popups") || strings.Contains(csp, "script-src") {
			t.Errorf("the HTML part's policy %q does not sandbox it without scripts", csp)
		}
		if code, _, _ := get(t, h, "/1/html"); code != http.StatusNotFound {
			t.Errorf("GET /1/html (a text-only message) = %d, want 404", code)
		}
	})

	t.Run("raw", func(t *testing.T) {
		code, hdr, body := get(t, h, "/1/raw")
		if code != http.StatusOK || hdr.Get("Content-Type") != "message/rfc822" {
			t.Fatalf("GET /1/raw = %d %s", code, hdr.Get("Content-Type"))
		}
		if body != simple("first") {
			t.Errorf("raw = %q", body)
		}
	})

	t.Run("api", func(t *testing.T) {
		code, hdr, body := get(t, h, "/api/messages")
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /api/messages = %d %s", code, hdr.Get("Content-Type"))
		}
		var list []apiMessage
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != 1 || list[1].Subject != evilSubject || list[1].Text != "" {
			t.Errorf("list = %+v", list)
		}
		_, _, body = get(t, h, "/api/messages/2")
		var one apiMessage
		if err := json.Unmarshal([]byte(body), &one); err != nil {
			t.Fatal(err)
		}
		if one.MessageID != "<evil@example.com>" || !strings.Contains(one.HTML, "steal()") || one.Headers["Subject"][0] != evilSubject {
			t.Errorf("message = %+v", one)
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, p := range []string{"/9", "/x", "/9/raw", "/api/messages/9", "/1/other"} {
			if code, _, _ := get(t, h, p); code != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, code)
			}
		}
	})
}

func TestHandlerUnderPrefix(t *testing.T) {
	s := startSink(t, Options{})
	fill(t, s)
	mux := http.NewServeMux()
	mux.Handle("/mail/", http.StripPrefix("/mail", s.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, p := range []string{"/mail/", "/mail/1", "/mail/1/raw", "/mail/api/messages"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", p, resp.StatusCode)
		}
	}
}

func TestLinkify(t *testing.T) {
	got := linkify("see https://a.example/x?y=1, and http://b.example/).")
	want := []segment{{Text: "see "}, {Text: "https://a.example/x?y=1", Link: true}, {Text: ", and "}, {Text: "http://b.example/", Link: true}, {Text: ")."}}
	if len(got) != len(want) {
		t.Fatalf("linkify = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
