package inbox

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// outcome is what became of one message: its decision folder (Processed or
// Rejected) and, for Rejected, why.
type outcome struct {
	folder, reason string
}

func (o outcome) encode() string { return o.folder + "\t" + o.reason }

func decodeOutcome(s string) (outcome, error) {
	folder, reason, _ := strings.Cut(s, "\t")
	if folder != Processed && folder != Rejected {
		return outcome{}, fmt.Errorf("inbox: recorded outcome %q is not %s or %s", s, Processed, Rejected)
	}
	return outcome{folder, reason}, nil
}

//go:embed record.lua
var recordLua string

var recordScript = redis.NewScript(recordLua)

// outcomes is the Redis record of handled messages of one account.
type outcomes struct {
	rdb     redis.UniversalClient
	account string
}

// lookup returns the recorded outcome of a message, if any.
func (s outcomes) lookup(ctx context.Context, mailbox string, uidValidity, uid uint32) (outcome, bool, error) {
	got, err := s.lookupAll(ctx, mailbox, uidValidity, []uint32{uid})
	o, ok := got[uid]
	return o, ok, err
}

// lookupAll returns the recorded outcomes of messages, by UID, in one round trip
// (HMGET). A message with no outcome recorded is not in the map.
func (s outcomes) lookupAll(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) (map[uint32]outcome, error) {
	got := make(map[uint32]outcome)
	if len(uids) == 0 {
		return got, nil
	}
	fields := make([]string, len(uids))
	for i, uid := range uids {
		fields[i] = strconv.FormatUint(uint64(uid), 10)
	}
	vals, err := s.rdb.HMGet(ctx, doneKey(s.account, mailbox, uidValidity), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("inbox: look up outcomes: %w", err)
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok { // nil: none recorded
			continue
		}
		o, err := decodeOutcome(str)
		if err != nil {
			return nil, err
		}
		got[uids[i]] = o
	}
	return got, nil
}

// record stores the outcome of a message unless one is stored already, and returns
// the outcome that holds.
func (s outcomes) record(ctx context.Context, mailbox string, uidValidity, uid uint32, o outcome) (outcome, error) {
	key := doneKey(s.account, mailbox, uidValidity)
	v, err := recordScript.Run(ctx, s.rdb, []string{key}, strconv.FormatUint(uint64(uid), 10), o.encode(), doneTTLSeconds).Text()
	if err != nil {
		return outcome{}, fmt.Errorf("inbox: record outcome: %w", err)
	}
	return decodeOutcome(v)
}
