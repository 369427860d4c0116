package inbox

import (
	"context"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

func TestOutcomesKeepUIDValiditiesApart(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	o := outcomes{rdb: srv.Client(), account: "bot@mail.example.com:993"}
	if _, err := o.record(ctx, "INBOX", 7, 1, outcome{Rejected, "not a partner"}); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := o.lookup(ctx, "INBOX", 7, 1); err != nil || !ok || got != (outcome{Rejected, "not a partner"}) {
		t.Errorf("lookup(7, 1) = %v, %v, %v", got, ok, err)
	}
	// The same UID under a new UIDVALIDITY, or in another mailbox, is another message.
	for _, tc := range []struct {
		mbox string
		uv   uint32
	}{{"INBOX", 8}, {"Other", 7}} {
		if _, ok, err := o.lookup(ctx, tc.mbox, tc.uv, 1); err != nil || ok {
			t.Errorf("lookup(%s, %d, 1) = %v, %v; want none", tc.mbox, tc.uv, ok, err)
		}
	}
	// The first outcome recorded wins.
	if got, err := o.record(ctx, "INBOX", 7, 1, outcome{Processed, ""}); err != nil || got != (outcome{Rejected, "not a partner"}) {
		t.Errorf("second record = %v, %v; want the first outcome", got, err)
	}
	ttl, err := srv.Client().TTL(ctx, doneKey(o.account, "INBOX", 7)).Result()
	if err != nil || ttl < 29*24*time.Hour || ttl > 30*24*time.Hour {
		t.Errorf("TTL = %v, %v; want about 30 days", ttl, err)
	}
}

func TestDoneKeyHasTheAccountTag(t *testing.T) {
	k := doneKey("bot@mail.example.com:993", "INBOX", 42)
	want := "pl:{inbox:" + shortHash("bot@mail.example.com:993") + "}:done:" + shortHash("INBOX") + ":42"
	if k != want {
		t.Errorf("doneKey = %q, want %q", k, want)
	}
}
