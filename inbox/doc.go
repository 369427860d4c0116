// Package inbox reads partnerlink's mailbox over IMAP with
// github.com/emersion/go-imap/v2: partners' requests for invitations sent by email,
// and delivery status notifications (RFC 3464) for invitations that bounced.
//
// A [Watcher] hands each message in the mailbox to a [Handler] exactly once and
// then moves it out of the mailbox, to the Processed or the Rejected folder. It
// waits for new mail with IDLE, or polls when the server lacks IDLE, and redials a
// dropped connection.
//
// Exactly once, across crashes: for each message the Watcher (1) looks up the
// message's outcome in Redis, (2) if there is none, fetches it and calls the
// Handler, (3) records the outcome in Redis, (4) moves the message. A message whose
// outcome is already recorded is only moved. A crash between (2) and (3) makes the
// Watcher call the Handler again with the same key, so handlers use the key to make
// their effects idempotent.
//
// It does so in batches of up to 100 messages: one Redis round trip looks up the
// batch's outcomes, one UID FETCH loads the bodies still to handle (never one over
// [MaxMessageBytes]), the Handler runs on each message in UID order and its outcome
// is recorded right after, and only once every outcome of the batch is recorded
// does one UID MOVE per folder move the batch out.
package inbox
