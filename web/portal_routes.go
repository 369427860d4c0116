package web

// portalRoutes adds the customer portal: sign-in by emailed link, the partner
// relationships, a partner's details, removing its roles, signing the agreement
// alone, the open invitations, and the partner API's agreement requests. p is the
// base URL's path prefix ("" when none). Requests that carry or ask for a link
// take from the per-address link limit.
func (s *Server) portalRoutes(p string) {
	s.mux.HandleFunc("GET "+p+"/portal/signin", s.signInForm)
	s.mux.HandleFunc("POST "+p+"/portal/signin", s.linkLimited("signin_request", s.requestSignIn))
	s.mux.HandleFunc("GET "+p+"/signin/{token}", s.linkLimited("signin_confirm", s.confirmSignIn))
	s.mux.HandleFunc("POST "+p+"/signin/{token}", s.linkLimited("signin", s.signIn))
	s.mux.HandleFunc("POST "+p+"/portal/signout", s.signOut)
	s.mux.HandleFunc("GET "+p+"/portal", s.portalOnly(s.portalHome))
	s.mux.HandleFunc("GET "+p+"/portal/invitations", s.portalOnly(s.portalInvitations))
	s.mux.HandleFunc("GET "+p+"/portal/partners/{partner_id}", s.portalOnly(s.partnerDetails))
	s.mux.HandleFunc("GET "+p+"/portal/partners/{partner_id}/remove-roles", s.portalOnly(s.confirmRemoveRoles))
	s.mux.HandleFunc("POST "+p+"/portal/partners/{partner_id}/remove-roles", s.portalOnly(s.removeRoles))
	s.mux.HandleFunc("GET "+p+"/portal/partners/{partner_id}/agreement", s.portalOnly(s.portalAgreementForm))
	s.mux.HandleFunc("POST "+p+"/portal/partners/{partner_id}/agreement", s.portalOnly(s.portalSignAgreement))
	s.mux.HandleFunc("GET "+p+"/agreement/{token}", s.linkLimited("agreement_link", s.linkAgreementForm))
	s.mux.HandleFunc("POST "+p+"/agreement/{token}", s.linkLimited("agreement_sign", s.linkSignAgreement))
	s.mux.HandleFunc("POST "+p+"/api/v1/customers/{customer_id}/agreement-requests", s.partnerOnly(s.requestAgreement))
}
