package jobs

import "github.com/partnerlink/partnerlink/templates"

// KindHeaders returns the extra header fields of a message of kind: every
// message partnerlink sends on its own account, that is every kind but the
// invitation a partner asked for, says so with "Auto-Submitted: auto-generated"
// (RFC 3834), so that mail systems send no out-of-office answers to it and
// filters can tell it from a person's mail. A handler answering a message uses
// "auto-replied" instead (request replies).
func KindHeaders(kind templates.Kind) map[string]string {
	if kind == templates.KindInvitation {
		return nil
	}
	return map[string]string{"Auto-Submitted": "auto-generated"}
}
