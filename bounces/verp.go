package bounces

import (
	"net/mail"
	"regexp"
	"strings"
)

// returnPathLocal is the local part of the VERP return path before the "+".
const returnPathLocal = "bounces"

// invitationIDPattern is the format of partnerships' invitation ids: "in_", the
// customer's 16 base32 characters, "_", 16 random base32 characters. Checking it
// here keeps a stray "bounces+whatever@" from naming an invitation.
var invitationIDPattern = regexp.MustCompile(`^in_[a-z2-7]{16}_[a-z2-7]{16}$`)

// ReturnPath returns the envelope sender (VERP) of the email of one invitation:
// "bounces+<id>@domain". A bounce of that email comes back to this address, so
// InvitationFromReturnPath finds the invitation even when the bounce quotes
// nothing of the original message.
func ReturnPath(invitationID, domain string) string {
	return returnPathLocal + "+" + invitationID + "@" + domain
}

// InvitationFromReturnPath returns the invitation id of a VERP address made by
// ReturnPath. addr may be a bare address, "<addr>" or "Name <addr>"; the local
// part is matched case-insensitively (some MTAs lowercase it).
func InvitationFromReturnPath(addr string) (string, bool) {
	addr = strings.TrimSpace(addr)
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	} else {
		addr = strings.Trim(addr, "<>")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", false
	}
	local := strings.ToLower(addr[:at])
	id, ok := strings.CutPrefix(local, returnPathLocal+"+")
	if !ok || !invitationIDPattern.MatchString(id) {
		return "", false
	}
	return id, true
}

// InvitationFromMessageID returns the invitation id of a Message-ID made by
// mailer.MessageID(id, "invitation", domain): "<invitation.<id>@domain>". The
// angle brackets are optional.
func InvitationFromMessageID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	rest, ok := strings.CutPrefix(id, "invitation.")
	if !ok {
		return "", false
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 || at == len(rest)-1 {
		return "", false
	}
	inv := rest[:at]
	if !invitationIDPattern.MatchString(inv) {
		return "", false
	}
	return inv, true
}

// messageIDInText finds "<invitation.<id>@domain>" anywhere in text, for bounces
// that quote the original message as plain text.
var messageIDInText = regexp.MustCompile(`<invitation\.(in_[a-z2-7]{16}_[a-z2-7]{16})@[A-Za-z0-9.\-]+>`)

// verpInText finds a VERP return path anywhere in text.
var verpInText = regexp.MustCompile(`(?i)\bbounces\+(in_[a-z2-7]{16}_[a-z2-7]{16})@`)
