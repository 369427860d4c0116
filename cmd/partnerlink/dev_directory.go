package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/partnerlink/partnerlink/partnerships"
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

// seedDirectory lists dev's demo partners in the find-a-partner directory.
func seedDirectory(ctx context.Context, store *partnerships.Store) error {
	ps, err := store.Partners(ctx)
	if err != nil {
		return fmt.Errorf("demo directory: %w", err)
	}
	yes, loc, desc := true, "Berlin, Germany", "Licensing, tenant setup and support for small and mid-sized firms."
	sizes, kws := []string{"1-10", "11-50", "51-250"}, []string{"licensing", "security", "migration"}
	for _, p := range ps {
		if _, err := store.UpdatePartnerProfile(ctx, p.ID, partnerships.ProfileUpdate{
			Listed: &yes, Location: &loc, Description: &desc, Sizes: &sizes, Keywords: &kws}); err != nil {
			return fmt.Errorf("demo directory: %w", err)
		}
	}
	return nil
}
