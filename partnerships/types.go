// Package partnerships holds partnerlink's domain — partners, customers and their
// users, invitations, relationships and agreement acceptances — and the Redis store
// that keeps them. Every state change is one Lua script touching keys of a single
// hash slot, so the store runs unchanged on Redis Cluster.
package partnerships

import (
	"fmt"
	"slices"
	"time"
)

// RelationshipType is one of the seven kinds of partner relationship.
type RelationshipType string

// The seven relationship types (see DESIGN.md).
const (
	Reseller               RelationshipType = "reseller"
	DelegatedAdmin         RelationshipType = "delegated_admin"
	ResellerDelegatedAdmin RelationshipType = "reseller_delegated_admin"
	PartnerAccount         RelationshipType = "partner"
	Advisor                RelationshipType = "advisor"
	MPSA                   RelationshipType = "mpsa"
	LineOfBusiness         RelationshipType = "line_of_business"
)

// Role is a role in a customer's tenant: held by the customer's own users, or granted
// to a partner by accepting an invitation.
type Role string

// Roles of customer users and roles a relationship grants a partner.
const (
	GlobalAdmin        Role = "global_admin"
	BillingAdmin       Role = "billing_admin"
	HelpdeskAdmin      Role = "helpdesk_admin"
	User               Role = "user"
	UserAccount        Role = "user_account"
	PurchaseVisibility Role = "purchase_visibility"
	ApplicationAdmin   Role = "application_admin"
)

// typeRoles is the DESIGN.md table: what accepting each type grants the partner.
var typeRoles = map[RelationshipType][]Role{
	Reseller:               nil,
	DelegatedAdmin:         {GlobalAdmin, HelpdeskAdmin},
	ResellerDelegatedAdmin: {GlobalAdmin, HelpdeskAdmin},
	PartnerAccount:         {UserAccount},
	Advisor:                {HelpdeskAdmin},
	MPSA:                   {PurchaseVisibility},
	LineOfBusiness:         {ApplicationAdmin},
}

// Types lists every relationship type in a stable order.
func Types() []RelationshipType {
	return []RelationshipType{Reseller, DelegatedAdmin, ResellerDelegatedAdmin, PartnerAccount, Advisor, MPSA, LineOfBusiness}
}

// Valid reports whether t is one of the seven types.
func (t RelationshipType) Valid() bool { _, ok := typeRoles[t]; return ok }

// Roles returns the roles accepting an invitation of type t grants (a fresh slice).
func (t RelationshipType) Roles() []Role { return slices.Clone(typeRoles[t]) }

// ParseType returns the relationship type named s, or an error listing the valid ones.
func ParseType(s string) (RelationshipType, error) {
	t := RelationshipType(s)
	if !t.Valid() {
		return "", fmt.Errorf("%w: %q is not one of %v", ErrInvalidType, s, Types())
	}
	return t, nil
}

// CustomerRoles lists the roles a customer's own user may hold.
func CustomerRoles() []Role { return []Role{GlobalAdmin, BillingAdmin, HelpdeskAdmin, User} }

// ParseCustomerRole returns the customer user role named s.
func ParseCustomerRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(CustomerRoles(), r) {
		return "", fmt.Errorf("%w: %q is not one of %v", ErrInvalidRole, s, CustomerRoles())
	}
	return r, nil
}

// CanAccept reports whether a customer user with role r may accept invitations and
// sign the customer agreement: only global and billing administrators may.
func (r Role) CanAccept() bool { return r == GlobalAdmin || r == BillingAdmin }

// Status is where an invitation is in its life.
type Status string

// Invitation statuses. Pending: stored, not yet handed to SMTP. Sent: accepted by the
// SMTP server. Accepted, Declined, Expired, Revoked: final. Failed: the SMTP server
// refused it permanently. Bounced: the SMTP server took it, but a bounce came back
// saying the address does not take mail (final).
const (
	StatusPending  Status = "pending"
	StatusSent     Status = "sent"
	StatusAccepted Status = "accepted"
	StatusDeclined Status = "declined"
	StatusExpired  Status = "expired"
	StatusRevoked  Status = "revoked"
	StatusFailed   Status = "failed"
	StatusBounced  Status = "bounced"
)

// Open reports whether an invitation in status s can still be accepted.
func (s Status) Open() bool { return s == StatusPending || s == StatusSent }

// Partner is an organisation that invites customers.
type Partner struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	ContactEmail string    `json:"contact_email"`
	CreatedAt    time.Time `json:"created_at"`
}

// Customer is a tenant: the organisation a partner works for.
type Customer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Domain    string    `json:"domain,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CustomerUser is one of a customer's own users with a role in its tenant.
type CustomerUser struct {
	CustomerID string `json:"customer_id"`
	Email      string `json:"email"`
	Name       string `json:"name,omitempty"`
	Role       Role   `json:"role"`
}

// Invitation is a partner's request to set up a relationship with a customer.
type Invitation struct {
	ID            string           `json:"id"`
	PartnerID     string           `json:"partner_id"`
	CustomerID    string           `json:"customer_id"`
	Email         string           `json:"customer_email"`
	Type          RelationshipType `json:"relationship_type"`
	Roles         []Role           `json:"roles"`
	Locale        string           `json:"locale"`
	Message       string           `json:"message,omitempty"`
	Status        Status           `json:"status"`
	TokenID       string           `json:"-"` // id of the one token that may redeem it
	MessageID     string           `json:"-"` // stable Message-ID of its email
	FailureReason string           `json:"failure_reason,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	SentAt        time.Time        `json:"sent_at,omitzero"`
	ExpiresAt     time.Time        `json:"expires_at"`
	DecidedAt     time.Time        `json:"decided_at,omitzero"`
	DecidedBy     string           `json:"decided_by,omitempty"`
	AcceptanceID  string           `json:"acceptance_id,omitempty"`

	// Partner API lifecycle (api helper): resend.
	Sends      int       `json:"sends"`                 // emails queued for it: 1, +1 per resend of the same invitation
	ResentAt   time.Time `json:"resent_at,omitzero"`    // last resend of the same invitation
	ReplacedBy string    `json:"replaced_by,omitempty"` // the newer invitation a resend after expiry created
	Replaces   string    `json:"replaces,omitempty"`    // the older invitation this one replaces
}

// Relationship is what a customer has with one partner: the types accepted so far
// and the roles the partner holds in the customer's tenant.
type Relationship struct {
	CustomerID   string             `json:"customer_id"`
	PartnerID    string             `json:"partner_id"`
	Types        []RelationshipType `json:"types"`
	Roles        []Role             `json:"roles"`
	Since        time.Time          `json:"since"`
	UpdatedAt    time.Time          `json:"updated_at"`
	AcceptanceID string             `json:"acceptance_id,omitempty"` // latest agreement signature
}

// Acceptance is the legal record of a customer agreement signed by a customer's admin.
type Acceptance struct {
	ID               string    `json:"id"`
	CustomerID       string    `json:"customer_id"`
	PartnerID        string    `json:"partner_id"`
	InvitationID     string    `json:"invitation_id,omitempty"`
	AgreementVersion string    `json:"agreement_version"`
	AgreementLocale  string    `json:"agreement_locale"`
	AgreementSHA256  string    `json:"agreement_sha256"` // hex SHA-256 of the exact text shown
	UserEmail        string    `json:"user_email"`
	UserRole         Role      `json:"user_role"`
	AcceptedAt       time.Time `json:"accepted_at"`
	IP               string    `json:"ip"`
	UserAgent        string    `json:"user_agent"`
}
