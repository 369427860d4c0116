package web

import (
	"context"
	"net/http"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// Partner API lifecycle (api helper): what an invitation link says once the
// partner revoked the invitation or a resend replaced it.

// lifecycleRefusal is the page of an invitation the partner withdrew or replaced
// by a newer one, or nil.
func lifecycleRefusal(inv partnerships.Invitation) *refusal {
	switch {
	case inv.ReplacedBy != "":
		return &refusal{http.StatusGone, "superseded", nil, "replaced by " + inv.ReplacedBy}
	case inv.Status == partnerships.StatusRevoked:
		return &refusal{http.StatusGone, "revoked", nil, "revoked by the partner"}
	}
	return nil
}

// expiredLinkRefusal explains an expired link: that a newer invitation replaced
// it, or that the partner withdrew it, when its invitation says so (the token's
// signature is checked, only its expiry is not); else that it expired. It returns
// the invitation when the link names one, for the page's language only.
func (s *Server) expiredLinkRefusal(ctx context.Context, token string, expired error) (partnerships.Invitation, *refusal) {
	claims, err := s.Tokens.VerifyPast(token, tokens.PurposeInvite)
	if err != nil {
		return partnerships.Invitation{}, tokenRefusal(expired)
	}
	inv, err := s.Store.Invitation(ctx, claims.Subject)
	if err != nil || claims.ID != inv.TokenID {
		return partnerships.Invitation{}, tokenRefusal(expired)
	}
	if rf := lifecycleRefusal(inv); rf != nil {
		return inv, rf
	}
	return inv, tokenRefusal(expired)
}
