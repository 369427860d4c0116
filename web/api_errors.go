package web

import (
	"encoding/json"
	"net/http"
	"strings"
)

// bodyTooLarge starts the message of a request body over maxAPIBody.
const bodyTooLarge = "body larger than "

// apiError is the JSON body of every API error.
type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"` // field name → what is wrong with it
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError answers an API error. A body refused for its size (decodeJSON's and
// noBody's "body larger than …") is 413 Content Too Large, whatever the caller
// passed (attacks: issue 6 item 7).
func writeError(w http.ResponseWriter, status int, msg string, fields map[string]string) {
	if status == http.StatusBadRequest && strings.HasPrefix(msg, bodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	writeJSON(w, status, apiError{Error: msg, Fields: fields})
}
