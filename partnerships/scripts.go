package partnerships

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Every state change is one of these Lua scripts. Each is given all its keys in
// KEYS, builds no key names itself, and its keys share one hash slot. Each takes
// the time in ARGV and never reads the server's clock (XADD's "*" entry id aside).
//
// Redis does not roll a script back when it fails, so every script checks
// everything first and returns a refusal code before its first write; after that
// it runs only commands that cannot fail on well-formed data.
//
// Each script starts with a "#!lua" shebang (Redis 7 script flags, none set). With
// it Redis refuses a script touching keys of more than one slot on a cluster node,
// and refuses a writing script under maxmemory pressure before it starts rather
// than at its first write.
//
// A script replies {code, detail, values…}: code "OK" or one of scriptErrors
// (anything else is reported as a plain error).

//go:embed scripts/*.lua scripts/lib/*.lua
var scriptFiles embed.FS

// scriptSource returns script name with each "-- include: X" line replaced by
// scripts/lib/X.lua, so rules shared by several scripts are written once.
func scriptSource(name string) (string, error) {
	src, err := scriptFiles.ReadFile("scripts/" + name + ".lua")
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for line := range strings.Lines(string(src)) {
		lib, ok := strings.CutPrefix(strings.TrimSpace(line), "-- include: ")
		if !ok {
			out.WriteString(line)
			continue
		}
		code, err := scriptFiles.ReadFile("scripts/lib/" + lib + ".lua")
		if err != nil {
			return "", fmt.Errorf("script %s includes %s: %w", name, lib, err)
		}
		out.Write(code)
	}
	return out.String(), nil
}

type script struct {
	name    string
	flagged *redis.Script // as written, with its "#!lua" line
	plain   *redis.Script // without it, for servers that do not know script flags
}

func loadScript(name string) *script {
	src, err := scriptSource(name)
	if err != nil {
		panic("partnerships: embedded script " + name + ": " + err.Error()) // a build mistake
	}
	body, found := strings.CutPrefix(src, "#!lua\n")
	if !found {
		panic("partnerships: embedded script " + name + " lacks its #!lua line") // a build mistake
	}
	return &script{name: name, flagged: redis.NewScript(src), plain: redis.NewScript(body)}
}

var (
	createPartnerScript    = loadScript("create_partner")
	addAPIKeyScript        = loadScript("add_api_key")
	createCustomerScript   = loadScript("create_customer")
	dropCustomerScript     = loadScript("drop_customer")
	addUserScript          = loadScript("add_user")
	claimEmailsScript      = loadScript("claim_emails")
	releaseEmailScript     = loadScript("release_email")
	createInvitationScript = loadScript("create_invitation")
	markSentScript         = loadScript("mark_sent")
	acceptScript           = loadScript("accept")
	declineScript          = loadScript("decline")
)

var (
	closeOpenScript        = loadScript("close_open")
	recordHardBounceScript = loadScript("record_hard_bounce")
	liftSuppressionScript  = loadScript("lift_suppression")
)

// Complaints (deliver).
var suppressComplaintScript = loadScript("suppress_complaint")

// Partner requests by email.
var setRequestSecretScript = loadScript("set_request_secret")

// Customer portal: sessions, removing roles, the agreement alone (portal.go).
var (
	startSessionScript     = loadScript("start_session")
	removeRolesScript      = loadScript("remove_roles")
	signAgreementScript    = loadScript("sign_agreement")
	requestAgreementScript = loadScript("request_agreement")
)

// scriptErrors maps script reply codes to the package's sentinel errors.
var scriptErrors = map[string]error{
	"NOT_FOUND":         ErrNotFound,
	"EXISTS":            ErrAlreadyExists,
	"UNKNOWN_RECIPIENT": ErrUnknownRecipient,
	"SUPERSEDED":        ErrTokenSuperseded,
	"ACCEPTED":          ErrAlreadyAccepted,
	"NOT_OPEN":          ErrNotOpen,
	"EXPIRED":           ErrExpired,
	"NOT_ADMIN":         ErrNotAdmin,
	// Customer portal (portal.go).
	"USED":     ErrTokenUsed,
	"NO_ROLES": ErrNoRoles,
	"SIGNED":   ErrAlreadySigned,
	"STALE":    errStale,
	// Partner API lifecycle (api helper).
	"RELATED":  ErrAlreadyRelated,
	"REPLACED": ErrReplaced,
	// Scheduler (sched).
	"NOT_DUE":     ErrNotDue,
	"REMINDED":    ErrAlreadyReminded,
	"STOPPED":     ErrRemindersStopped,
	"STALE_ENTRY": ErrStaleSchedule,
}

// reply is a script's answer after its code and detail.
type reply struct {
	detail string
	values []any
}

// run runs sc (EVALSHA, falling back to EVAL) and maps a refusal to its sentinel
// error. The reply's values are returned with a refusal too (mark_sent returns the
// invitation it refused to change).
func (s *Store) run(ctx context.Context, sc *script, keys []string, args ...any) (reply, error) {
	if s.observe != nil {
		s.observe(sc.name, keys)
	}
	run := sc.flagged
	if s.plainScripts {
		run = sc.plain
	}
	return sc.reply(run.Run(ctx, s.rdb, keys, args...).Slice())
}

// reply reads a script's answer (see run).
func (sc *script) reply(v []any, err error) (reply, error) {
	if err != nil {
		return reply{}, fmt.Errorf("partnerships: %s: %w", sc.name, err)
	}
	if len(v) < 2 {
		return reply{}, fmt.Errorf("partnerships: %s: short reply %v", sc.name, v)
	}
	code, _ := v[0].(string)
	detail, _ := v[1].(string)
	r := reply{detail: detail, values: v[2:]}
	if code == "OK" {
		return r, nil
	}
	if sentinel, ok := scriptErrors[code]; ok {
		return r, fmt.Errorf("%w: %s", sentinel, detail)
	}
	return r, fmt.Errorf("partnerships: %s: %s: %s", sc.name, code, detail)
}

// strings returns a reply's values as strings.
func (r reply) strings() []string {
	out := make([]string, len(r.values))
	for i, v := range r.values {
		out[i], _ = v.(string)
	}
	return out
}

// Partner API lifecycle (api helper).
var (
	revokeInvitationScript = loadScript("revoke_invitation")
	resendInvitationScript = loadScript("resend_invitation")
	endRelationshipScript  = loadScript("end_relationship")
)

// Scheduler (sched).
var (
	remindScript           = loadScript("remind")
	expireInvitationScript = loadScript("expire_invitation")
	stopRemindersScript    = loadScript("stop_reminders")
	endTermScript          = loadScript("end_term")
)

// Directory profiles, webhooks and leads (directory).
var (
	updateProfileScript = loadScript("update_profile")
	createLeadScript    = loadScript("create_lead")
)
