package partnerships

import (
	"context"
	"strconv"
	"strings"
)

// Send attempts (faults): asynq delivers a task at least once, and a worker killed
// mid-send has its task delivered again once the lease runs out. The worker
// records each attempt in the invitation, with the email's Message-ID, before it
// talks to SMTP; MarkSent, after the server's 250, marks the invitation sent with
// that Message-ID in one script, which is what "accepted" means. A redelivered
// task then knows which of three cases it is in:
//
//   - no record: nothing was tried; send.
//   - "accepted": the server took it and it is recorded; do not send again.
//   - "attempt": an earlier run died after recording the attempt and before
//     recording the server's answer. Whether the server accepted it cannot be
//     known (SMTP has no "did you get message X?"), so the worker sends again:
//     at least once, never lost. A duplicate needs the kill to land between the
//     server's 250 reply to DATA and the mark_sent script, which is one network
//     round trip to Redis after the reply is read.

// Send-attempt states.
const (
	SendNotTried = ""         // no attempt recorded
	SendAttempt  = "attempt"  // handed to SMTP, outcome unknown
	SendAccepted = "accepted" // the SMTP server accepted it (250) and that is recorded
	// SendNotOpen: the invitation is no longer pending (revoked, accepted, sent
	// by another task…); nothing was recorded, do not send.
	SendNotOpen = "not_open"
	// SendStale: the Message-ID was made for an earlier send of an invitation
	// resent since; nothing was recorded, record again with the current one's.
	SendStale = "stale"
)

var sendAttemptScript = loadScript("send_attempt")

// SendAttemptRecord is what earlier attempts left for one Message-ID.
type SendAttemptRecord struct {
	State    string // SendNotTried, SendAttempt or SendAccepted, before this call
	Attempts int    // attempts recorded before this call
}

// RecordSendAttempt records that the email messageID of invitation id is about to
// be handed to SMTP, unless it was accepted already or the invitation is no longer
// pending, and returns what was recorded before. States SendAccepted and
// SendNotOpen mean: do not send.
func (s *Store) RecordSendAttempt(ctx context.Context, id, messageID string) (SendAttemptRecord, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return SendAttemptRecord{}, err
	}
	if err := checkMessageID(messageID); err != nil {
		return SendAttemptRecord{}, err
	}
	return attemptRecord(s.run(ctx, sendAttemptScript, []string{invitationKey(c, id)}, id, messageID, msString(s.nowMS())))
}

// checkMessageID refuses what cannot be a Message-ID header's value.
func checkMessageID(messageID string) error {
	if messageID == "" || len(messageID) > maxMessageID ||
		strings.IndexFunc(messageID, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return invalid("message_id", "%.80q is not a Message-ID", messageID)
	}
	return nil
}

// attemptRecord reads send_attempt's reply.
func attemptRecord(r reply, err error) (SendAttemptRecord, error) {
	if err != nil {
		return SendAttemptRecord{}, err
	}
	rec := SendAttemptRecord{State: r.detail}
	if len(r.values) > 0 {
		if v, ok := r.values[0].(string); ok {
			rec.Attempts, _ = strconv.Atoi(v)
		}
	}
	return rec, nil
}
