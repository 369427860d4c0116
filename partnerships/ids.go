package partnerships

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// Id formats. All random parts come from crypto/rand, lowercase base32 without padding.
const (
	customerPrefix   = "cu_"
	partnerPrefix    = "pa_"
	acceptancePrefix = "ac_"
	invitationPrefix = "in_"
	apiKeyPrefix     = "pl_"

	idRandLen     = 16 // base32 chars: 80 bits
	apiKeyRandLen = 32 // base32 chars: 160 bits
	tokenIDLen    = 32 // hex chars: 128 bits

	// in_ + the customer id's 16 chars + _ + 16 random chars.
	invitationIDLen = len(invitationPrefix) + idRandLen + 1 + idRandLen
)

const base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"

var b32 = base32.NewEncoding(base32Alphabet).WithPadding(base32.NoPadding)

// randomBase32 returns n lowercase base32 characters (n a multiple of 8: whole bytes).
func randomBase32(n int) string {
	b := make([]byte, n*5/8)
	_, _ = rand.Read(b) // never fails (crypto/rand.Read crashes the program instead)
	return b32.EncodeToString(b)
}

func newCustomerID() string   { return customerPrefix + randomBase32(idRandLen) }
func newPartnerID() string    { return partnerPrefix + randomBase32(idRandLen) }
func newAcceptanceID() string { return acceptancePrefix + randomBase32(idRandLen) }
func newAPIKey() string       { return apiKeyPrefix + randomBase32(apiKeyRandLen) }

// newInvitationID embeds the customer's id so the invitation can be found, in the
// customer's hash slot, from its id alone.
func newInvitationID(customerID string) string {
	return invitationPrefix + strings.TrimPrefix(customerID, customerPrefix) + "_" + randomBase32(idRandLen)
}

// newTokenID is the id of the one token that may redeem an invitation: 32 hex chars.
func newTokenID() string {
	b := make([]byte, tokenIDLen/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(base32Alphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

// validID reports whether id is prefix followed by exactly n base32 characters.
func validID(id, prefix string, n int) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	return ok && len(rest) == n && isBase32(rest)
}

func validCustomerID(id string) bool   { return validID(id, customerPrefix, idRandLen) }
func validPartnerID(id string) bool    { return validID(id, partnerPrefix, idRandLen) }
func validAcceptanceID(id string) bool { return validID(id, acceptancePrefix, idRandLen) }
func validAPIKey(key string) bool      { return validID(key, apiKeyPrefix, apiKeyRandLen) }

// CustomerOfInvitation returns the id of the customer an invitation id belongs to.
// A malformed id gives an error wrapping ErrNotFound.
func CustomerOfInvitation(id string) (string, error) {
	if len(id) != invitationIDLen || !strings.HasPrefix(id, invitationPrefix) || id[len(invitationPrefix)+idRandLen] != '_' {
		return "", fmt.Errorf("%w: malformed invitation id %.40q", ErrNotFound, id)
	}
	cust := id[len(invitationPrefix) : len(invitationPrefix)+idRandLen]
	random := id[len(invitationPrefix)+idRandLen+1:]
	if !isBase32(cust) || !isBase32(random) {
		return "", fmt.Errorf("%w: malformed invitation id %.40q", ErrNotFound, id)
	}
	return customerPrefix + cust, nil
}
