package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
)

// Redis key layout. Every key name the package uses is built here and nowhere else.
//
//	pl:{rl:<name>:<digest>}   string   the subject's TAT (unix µs), expires when it has passed
//
// <name> is the limiter's name (checked in New: lower-case letters, digits, "_" and
// "-"), <digest> the first 32 hex digits of sha256(subject), so no caller's string
// reaches a key name. The whole name is its own hash tag: one subject, one Redis
// Cluster slot, and the script touches that one key only.

func subjectKey(name, subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return "pl:{rl:" + name + ":" + hex.EncodeToString(sum[:])[:32] + "}"
}
