package partnerships

import "errors"

// Errors callers branch on with errors.Is. The HTTP layer maps them to status codes.
var (
	ErrNotFound         = errors.New("partnerships: not found")
	ErrInvalidType      = errors.New("partnerships: invalid relationship type")
	ErrInvalidRole      = errors.New("partnerships: invalid role")
	ErrInvalidInput     = errors.New("partnerships: invalid input")
	ErrAlreadyExists    = errors.New("partnerships: already exists")
	ErrNotOpen          = errors.New("partnerships: invitation is no longer open") // accepted, declined, revoked, failed, bounced
	ErrAlreadyAccepted  = errors.New("partnerships: invitation was already accepted")
	ErrExpired          = errors.New("partnerships: invitation has expired")
	ErrTokenSuperseded  = errors.New("partnerships: a newer link was sent for this invitation")
	ErrNotAdmin         = errors.New("partnerships: only a global or billing administrator of the customer may accept")
	ErrUnknownRecipient = errors.New("partnerships: no customer has a user with this email address")
	ErrSuppressed       = errors.New("partnerships: this address bounced repeatedly and is suppressed")
)

// Customer portal (portal.go).
var (
	ErrTokenUsed     = errors.New("partnerships: this sign-in link was already used")
	ErrNoRoles       = errors.New("partnerships: the partner holds no roles")
	ErrAlreadySigned = errors.New("partnerships: the customer agreement is already signed for this version")
	// errStale: what the caller read changed before its script ran; read again.
	errStale = errors.New("partnerships: changed meanwhile")
)

// Partner API lifecycle (api helper).
var (
	// ErrAlreadyRelated: the customer already has an active relationship of the
	// invited type with this partner. The error is a *RelatedError naming it.
	ErrAlreadyRelated = errors.New("partnerships: the customer already has this relationship with the partner")
	// ErrReplaced: the invitation was resent as a newer one; act on that one.
	ErrReplaced = errors.New("partnerships: invitation was replaced by a newer one")
)
