package web

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	openAPIPath   = regexp.MustCompile(`^  (/[^:\s]*):\s*$`)
	openAPIMethod = regexp.MustCompile(`^    (get|put|post|delete|patch|head|options):`)
)

// documentedRoutes reads "METHOD /path" of every operation under the document's
// top-level paths: (paths two spaces in, methods four, as web/openapi.yaml is
// written).
func documentedRoutes(t *testing.T, doc []byte) []string {
	t.Helper()
	var out []string
	inPaths, path := false, ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case line != "" && !strings.HasPrefix(line, " "):
			inPaths = false
		case !inPaths:
		case openAPIPath.MatchString(line):
			path = openAPIPath.FindStringSubmatch(line)[1]
		case openAPIMethod.MatchString(line) && path != "":
			out = append(out, strings.ToUpper(openAPIMethod.FindStringSubmatch(line)[1])+" "+path)
		}
	}
	if len(out) == 0 {
		t.Fatal("the OpenAPI document has no paths")
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIDocumentsEveryAPIRoute: every pattern registered on the server's mux
// under /api/ is an operation of web/openapi.yaml, and every documented operation
// is a registered pattern that the mux routes to.
func TestOpenAPIDocumentsEveryAPIRoute(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	var registered []string
	for _, p := range e.srv.mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		if ok && strings.HasPrefix(path, "/api/") {
			registered = append(registered, method+" "+path)
		}
	}
	slices.Sort(registered)
	documented := documentedRoutes(t, openAPIDoc)
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is registered but not in web/openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("web/openapi.yaml documents %s, which is not registered", d)
			continue
		}
		// The mux routes a concrete request to exactly that pattern.
		method, path, _ := strings.Cut(d, " ")
		concrete := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x1")
		req, _ := http.NewRequest(method, "http://partnerlink.test"+concrete, nil)
		if _, pattern := e.srv.mux.Handler(req); pattern != d {
			t.Errorf("%s %s routes to %q, want %q", method, concrete, pattern, d)
		}
	}

	// The document is served as it is embedded.
	resp, err := http.Get(e.http.URL + "/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, openAPIDoc) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
		t.Errorf("GET /api/openapi.yaml: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

func TestDocumentedRoutesParser(t *testing.T) {
	doc := []byte("openapi: 3.0.3\ncomponents:\n  schemas:\n    get: {}\npaths:\n  /api/a/{id}:\n    get:\n      x: 1\n    delete:\n      x: 2\n  /api/b:\n    post: {}\nsecurity: []\n")
	want := []string{"DELETE /api/a/{id}", "GET /api/a/{id}", "POST /api/b"}
	if got := documentedRoutes(t, doc); !slices.Equal(got, want) {
		t.Errorf("documentedRoutes = %v, want %v", got, want)
	}
}
