// Package agreements loads the customer agreement: a versioned document the operator
// supplies, one plain-text file per version and locale, named <version>.<locale>.txt
// (for example 2026-01.en.txt). The exact bytes of a file are what a customer's admin
// is shown, and their SHA-256 is what an acceptance records. A sample agreement is
// embedded for `partnerlink dev` and for deployments that configure no folder.
package agreements
