// Package inbox reads partnerlink's mailbox over IMAP with
// github.com/emersion/go-imap/v2: partners' requests for invitations sent by email,
// and delivery status notifications (RFC 3464) for invitations that bounced. Each
// message is handled once and moved out of the inbox.
//
// Not built yet: until it is, invitations are requested through the partner API.
package inbox
