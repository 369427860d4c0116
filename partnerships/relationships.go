package partnerships

import (
	"context"
	"fmt"
)

// Relationship returns what a customer has with a partner: ErrNotFound if the
// customer never accepted an invitation of that partner.
func (s *Store) Relationship(ctx context.Context, customerID, partnerID string) (Relationship, error) {
	return readRelationship(ctx, s.rdb, customerID, partnerID)()
}

// Relationships returns a customer's relationships, sorted by Since (oldest first).
func (s *Store) Relationships(ctx context.Context, customerID string) ([]Relationship, error) {
	if err := s.customerExists(ctx, customerID); err != nil {
		return nil, err
	}
	ids, err := s.rdb.ZRange(ctx, customerPartnersKey(customerID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list relationships of %s: %w", customerID, err)
	}
	maps, err := s.hashes(ctx, ids, func(id string) string { return relationshipKey(customerID, id) })
	if err != nil {
		return nil, fmt.Errorf("partnerships: list relationships of %s: %w", customerID, err)
	}
	out := make([]Relationship, 0, len(maps))
	for _, m := range maps {
		out = append(out, decodeRelationship(m))
	}
	return out, nil
}

// Acceptance returns one of a customer's agreement acceptances.
func (s *Store) Acceptance(ctx context.Context, customerID, id string) (Acceptance, error) {
	if !validCustomerID(customerID) || !validAcceptanceID(id) {
		return Acceptance{}, fmt.Errorf("%w: acceptance %.40q of %.40q", ErrNotFound, id, customerID)
	}
	m, err := s.rdb.HGetAll(ctx, acceptanceKey(customerID, id)).Result()
	if err != nil {
		return Acceptance{}, fmt.Errorf("partnerships: read acceptance %s: %w", id, err)
	}
	if len(m) == 0 {
		return Acceptance{}, fmt.Errorf("%w: acceptance %s of %s", ErrNotFound, id, customerID)
	}
	return decodeAcceptance(m), nil
}

// Acceptances returns a customer's agreement acceptances, oldest first.
func (s *Store) Acceptances(ctx context.Context, customerID string) ([]Acceptance, error) {
	if err := s.customerExists(ctx, customerID); err != nil {
		return nil, err
	}
	ids, err := s.rdb.ZRange(ctx, acceptancesKey(customerID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: list acceptances of %s: %w", customerID, err)
	}
	maps, err := s.hashes(ctx, ids, func(id string) string { return acceptanceKey(customerID, id) })
	if err != nil {
		return nil, fmt.Errorf("partnerships: list acceptances of %s: %w", customerID, err)
	}
	out := make([]Acceptance, 0, len(maps))
	for _, m := range maps {
		out = append(out, decodeAcceptance(m))
	}
	return out, nil
}

func decodeRelationship(m map[string]string) Relationship {
	return Relationship{
		CustomerID:   m["customer_id"],
		PartnerID:    m["partner_id"],
		Types:        splitList[RelationshipType](m["types"]),
		Roles:        splitList[Role](m["roles"]),
		Since:        parseMS(m["since"]),
		UpdatedAt:    parseMS(m["updated_at"]),
		AcceptanceID: m["acceptance_id"],
		EndsAt:       parseMS(m["ends_at"]),
		AutoExtend:   m["auto_extend"] == "1",
		ExpiredAt:    parseMS(m["expired_at"]),
	}
}

func decodeAcceptance(m map[string]string) Acceptance {
	return Acceptance{
		ID:               m["id"],
		CustomerID:       m["customer_id"],
		PartnerID:        m["partner_id"],
		InvitationID:     m["invitation_id"],
		AgreementVersion: m["agreement_version"],
		AgreementLocale:  m["agreement_locale"],
		AgreementSHA256:  m["agreement_sha256"],
		UserEmail:        m["user_email"],
		UserRole:         Role(m["user_role"]),
		AcceptedAt:       parseMS(m["accepted_at"]),
		IP:               m["ip"],
		UserAgent:        m["user_agent"],
	}
}
