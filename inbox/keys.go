package inbox

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Redis key layout. Every key name the package uses is built here and nowhere else.
//
// All keys of one account share one hash tag, so they live in one Redis Cluster
// slot. The account and mailbox names are hashed before they go into a key, so a
// configured name never picks a key or a hash tag:
//
//	{inbox:<acct>}   pl:{inbox:<acct>}:done:<mbox>:<uidvalidity>   hash   uid → "<decision>\t<reason>"
//
// <acct> is the first 16 hex digits of SHA-256(Config.Account), <mbox> the same of
// the mailbox name; <decision> is Processed or Rejected (the constants, not the
// folder names). One hash per UIDVALIDITY: when the server renumbers the mailbox,
// new UIDs land in a new hash and never meet the old outcomes. Each hash expires
// doneTTL after its last write.

const doneTTLSeconds = 30 * 24 * 60 * 60 // 30 days

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func accountTag(account string) string { return "pl:{inbox:" + shortHash(account) + "}:" }

func doneKey(account, mailbox string, uidValidity uint32) string {
	return accountTag(account) + "done:" + shortHash(mailbox) + ":" + strconv.FormatUint(uint64(uidValidity), 10)
}
