package inbox

import (
	"context"
	_ "embed"
	"errors"
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
	v, err := s.rdb.HGet(ctx, doneKey(s.account, mailbox, uidValidity), strconv.FormatUint(uint64(uid), 10)).Result()
	if errors.Is(err, redis.Nil) {
		return outcome{}, false, nil
	} else if err != nil {
		return outcome{}, false, fmt.Errorf("inbox: look up outcome: %w", err)
	}
	o, err := decodeOutcome(v)
	return o, err == nil, err
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
