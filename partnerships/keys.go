package partnerships

import (
	"crypto/sha256"
	"encoding/hex"
)

// Redis key layout. Every key name the store uses is built here and nowhere else.
//
// Each key carries a hash tag ({…}) that decides its Redis Cluster hash slot, and
// every atomic change (one Lua script) touches keys of one tag only:
//
//	{partners}    pl:{partners}:partner:<pa_id>     hash   a partner (api_keys: comma list of key digests)
//	              pl:{partners}:partners            zset   partner ids by created_at (ms)
//	              pl:{partners}:apikeys             hash   sha256(api key) hex → partner id
//	              pl:{partners}:contacts            hash   contact email → partner id (the first partner with it)
//	              pl:{partners}:reqsecrets          hash   sha256(request secret) hex → partner id
//	{suppressions} pl:{suppressions}:counts        hash   email → hard bounces counted
//	              pl:{suppressions}:suppressed     zset   suppressed emails by since (ms)
//	              pl:{suppressions}:counted        set    "<email> <bounce key>" of bounces counted
//	              pl:{suppressions}:reasons        hash   email → why it is suppressed when not by bounces (a complaint)
//	{directory}   pl:{directory}:emails             hash   user email → customer id (derived index)
//	              pl:{directory}:customers          zset   customer ids by created_at (ms) (derived index)
//	{<cu_id>}     pl:{cu_…}:customer                hash   the customer
//	              pl:{cu_…}:users                   hash   user email → CustomerUser JSON
//	              pl:{cu_…}:inv:<in_id>             hash   an invitation
//	              pl:{cu_…}:invs                    zset   invitation ids by created_at (ms)
//	              pl:{cu_…}:acc:<ac_id>             hash   an agreement acceptance
//	              pl:{cu_…}:accs                    zset   acceptance ids by accepted_at (ms)
//	              pl:{cu_…}:rel:<pa_id>             hash   the relationship with one partner
//	              pl:{cu_…}:partners                zset   partner ids by relationship since (ms)
//	              pl:{cu_…}:audit                   stream audit events, MAXLEN ~ 10000
//	              pl:{cu_…}:idem:<sha256 hex>       string invitation id of an idempotency key, TTL 30 days
//
// Times are unix milliseconds; lists of roles and types are comma lists.
// Ids are checked for their exact format before they are put into a key name, so a
// caller's string never picks a key or a hash tag.

const (
	partnersTag  = "pl:{partners}:"
	directoryTag = "pl:{directory}:"
)

const suppressionsTag = "pl:{suppressions}:"

func hardBouncesKey() string    { return suppressionsTag + "counts" }
func suppressedKey() string     { return suppressionsTag + "suppressed" }
func countedBouncesKey() string { return suppressionsTag + "counted" }

// Complaints (deliver): why an address is suppressed when it is not by bounces.
func suppressionReasonsKey() string { return suppressionsTag + "reasons" }

func partnerKey(partnerID string) string { return partnersTag + "partner:" + partnerID }
func partnersKey() string                { return partnersTag + "partners" }
func apiKeysKey() string                 { return partnersTag + "apikeys" }

// Partner requests by email (requests.go).
func contactsKey() string       { return partnersTag + "contacts" }
func requestSecretsKey() string { return partnersTag + "reqsecrets" }
func idempotencyKey(customerID, digest string) string {
	return customerTag(customerID) + "idem:" + digest
}

func emailsKey() string    { return directoryTag + "emails" }
func customersKey() string { return directoryTag + "customers" }

// customerTag is the key prefix shared by all of one customer's data: one hash slot.
func customerTag(customerID string) string { return "pl:{" + customerID + "}:" }

func customerKey(customerID string) string { return customerTag(customerID) + "customer" }
func usersKey(customerID string) string    { return customerTag(customerID) + "users" }
func invitationKey(customerID, invitationID string) string {
	return customerTag(customerID) + "inv:" + invitationID
}
func invitationsKey(customerID string) string { return customerTag(customerID) + "invs" }
func acceptanceKey(customerID, acceptanceID string) string {
	return customerTag(customerID) + "acc:" + acceptanceID
}
func acceptancesKey(customerID string) string { return customerTag(customerID) + "accs" }
func relationshipKey(customerID, partnerID string) string {
	return customerTag(customerID) + "rel:" + partnerID
}
func customerPartnersKey(customerID string) string { return customerTag(customerID) + "partners" }
func auditKey(customerID string) string            { return customerTag(customerID) + "audit" }

// Customer portal (portal.go). Sessions and used sign-in links live under their own
// tag; a session names its customer, whose data its requests then read.
//
//	{portal}      pl:{portal}:session:<sha256 hex of the session id>  hash  customer_id, email, role, created_at; TTL 8h
//	              pl:{portal}:signin:<token id>                      string a used sign-in link; TTL its remaining life
const portalTag = "pl:{portal}:"

func sessionKey(digest string) string     { return portalTag + "session:" + digest }
func usedSignInKey(tokenID string) string { return portalTag + "signin:" + tokenID }

// Partner API lifecycle (api helper): per-partner DERIVED indexes under the
// partner's own hash tag, so listing a partner's invitations or customers reads one
// key instead of every customer's slot.
//
//	{<pa_id>}     pl:{pa_…}:invs                   zset   "<created_at ms, 13 digits>:<in_id>", all score 0 (read by lex, newest first)
//	              pl:{pa_…}:customers              zset   customer ids the partner has (had) a relationship with, all score 0
//
// Both are written BEFORE the script that creates the record (CreateInvitation,
// ResendInvitation, Accept), so a crash between the two leaves an entry without a
// record, never a record without an entry; a script's refusal removes the entry it
// just wrote. Readers skip entries whose record is missing or no longer belongs to
// the partner (an ended relationship is deleted: its customer stays listed here and
// is skipped).
func partnerTag(partnerID string) string { return "pl:{" + partnerID + "}:" }
func partnerInvitationsKey(partnerID string) string {
	return partnerTag(partnerID) + "invs"
}
func partnerCustomersKey(partnerID string) string { return partnerTag(partnerID) + "customers" }

// Scheduler (sched): due work, under its own hash tag.
//
//	{schedule}    pl:{schedule}:due                 zset   due work by due time (ms), a DERIVED index:
//	                                                       "remind:<in_id>:<n>", "expire:<in_id>",
//	                                                       "ending:<cu_id>:<pa_id>:<ends ms>:<30d|7d|1d>",
//	                                                       "end:<cu_id>:<pa_id>:<ends ms>"
//
// An entry is written BEFORE the script that writes its record (an invitation's
// when it is created, a time-bound relationship's when it is accepted or extended),
// so a crash between them leaves an entry without a record, never a record without
// its entries. Readers skip entries whose record is missing or no longer matches
// (the task re-checks when it runs); an entry is removed once its task is queued.
const scheduleTag = "pl:{schedule}:"

func dueKey() string { return scheduleTag + "due" }

// Directory profiles and leads (directory). Both live in the partners' slot:
//
//	{partners}    pl:{partners}:listed              zset   ids of partners in the find-a-partner directory, by listing time (ms);
//	                                                       written with the profile by one script; readers still skip a
//	                                                       partner whose hash says listed != 1
//	              pl:{partners}:lead:<ld_id>        hash   a customer's request for contact sent to listed partners, TTL 90 days
func listedKey() string            { return partnersTag + "listed" }
func leadKey(leadID string) string { return partnersTag + "lead:" + leadID }

// Notification deliveries (directory):
//
//	{notify}      pl:{notify}:delivered:<sha256 hex of the task id, 32 chars>  hash  channel → delivered at (ms), TTL 8 days
func deliveredKey(task string) string {
	sum := sha256.Sum256([]byte(task))
	return "pl:{notify}:delivered:" + hex.EncodeToString(sum[:16])
}

// Send attempts (faults): kept in the invitation's own hash (pl:{cu_…}:inv:<in_id>),
// fields attempt_message_id, attempt_count, attempt_at (ms); see send_attempts.go.
