package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the partner API's OpenAPI 3 document, served at GET /api/openapi.yaml.
//
//go:embed openapi.yaml
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc)
}
