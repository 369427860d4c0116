package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// newOperatorKey returns a random operator API key for dev: "op_" and 32 hex characters.
func newOperatorKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "op_" + hex.EncodeToString(b)
}

// printDirectoryWelcome tells the dev user where the directory and the operator API are.
func printDirectoryWelcome(w io.Writer, base, operatorKey string) {
	fmt.Fprintf(w, `Find a partner:  %[1]s/partners
Operator API:    %[1]s/api/v1/admin/customers   operator key: %[2]s
  curl -sS %[1]s/api/v1/admin/customers -H 'Authorization: Bearer %[2]s'
`, base, operatorKey)
}
