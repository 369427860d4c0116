package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// The operator API: customers and their users, partners and their profiles,
// behind the operator key (Authorization: Bearer <operator key>). Partner API keys
// do not open it, and the operator key does not open the partner API.

func (s *Server) operatorRoutes(p string) {
	a := p + "/api/v1/admin"
	s.mux.HandleFunc("POST "+a+"/customers", s.operatorOnly(s.adminCreateCustomer))
	s.mux.HandleFunc("GET "+a+"/customers", s.operatorOnly(s.adminListCustomers))
	s.mux.HandleFunc("POST "+a+"/customers/{id}/users", s.operatorOnly(s.adminAddUser))
	s.mux.HandleFunc("GET "+a+"/customers/{id}/users", s.operatorOnly(s.adminListUsers))
	s.mux.HandleFunc("POST "+a+"/partners", s.operatorOnly(s.adminCreatePartner))
	s.mux.HandleFunc("PATCH "+a+"/partners/{id}", s.operatorOnly(s.adminUpdatePartner))
}

// operatorOnly lets a request through when it carries the operator key: its
// SHA-256 is compared in constant time with the configured key's.
func (s *Server) operatorOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.operatorKeySet {
			writeError(w, http.StatusNotFound, "the operator API is off: set --operator-key (PARTNERLINK_OPERATOR_KEY)", nil)
			return
		}
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		digest := sha256.Sum256([]byte(strings.TrimSpace(key)))
		if !ok || subtle.ConstantTimeCompare(digest[:], s.operatorKeyDigest[:]) != 1 {
			s.log(r).Warn("operator api: bad or missing operator key", "ip", clientIP(r), "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="partnerlink-operator"`)
			writeError(w, http.StatusUnauthorized, "missing or unknown operator key: send Authorization: Bearer <operator key>", nil)
			return
		}
		h(w, r)
	}
}

// storeError answers a store error: field-level 400 for bad input, 404, 409, or 503.
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, partnerships.ErrInvalidInput), errors.Is(err, partnerships.ErrInvalidRole):
		field, msg := splitFieldError(err)
		writeError(w, http.StatusBadRequest, "invalid request", map[string]string{field: msg})
	case errors.Is(err, partnerships.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found", nil)
	case errors.Is(err, partnerships.ErrAlreadyExists):
		writeError(w, http.StatusConflict, "already exists: "+err.Error(), nil)
	default:
		s.storeUnavailable(w, r, err)
	}
}

// splitFieldError reads "partnerships: invalid input: <field>: <what>".
func splitFieldError(err error) (string, string) {
	msg := err.Error()
	for _, sentinel := range []error{partnerships.ErrInvalidInput, partnerships.ErrInvalidRole} {
		if _, rest, ok := strings.Cut(msg, sentinel.Error()+": "); ok {
			if field, what, ok := strings.Cut(rest, ": "); ok && !strings.ContainsAny(field, " \"") {
				return field, what
			}
			return "role", rest
		}
	}
	return "body", msg
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	msg, fields := decodeJSON(w, r, v)
	if msg == "" {
		return true
	}
	if fields != nil {
		msg = "invalid request"
	}
	writeError(w, http.StatusBadRequest, msg, fields)
	return false
}

type adminCustomerRequest struct {
	Name       string `json:"name"`
	Domain     string `json:"domain"`
	AdminEmail string `json:"admin_email"`
	AdminName  string `json:"admin_name"`
	AdminRole  string `json:"admin_role"` // default global_admin
}

func (s *Server) adminCreateCustomer(w http.ResponseWriter, r *http.Request) {
	var req adminCustomerRequest
	if !decodeAdmin(w, r, &req) {
		return
	}
	fields := map[string]string{}
	if strings.TrimSpace(req.Name) == "" {
		fields["name"] = "required"
	}
	if strings.TrimSpace(req.AdminEmail) == "" {
		fields["admin_email"] = "required: the customer's first global or billing administrator"
	}
	if req.AdminRole == "" {
		req.AdminRole = string(partnerships.GlobalAdmin)
	}
	role, err := partnerships.ParseCustomerRole(req.AdminRole)
	if err != nil {
		fields["admin_role"] = err.Error()
	} else if !role.CanAccept() {
		fields["admin_role"] = "the first user must be a global_admin or billing_admin"
	}
	if len(fields) > 0 {
		writeError(w, http.StatusBadRequest, "invalid request", fields)
		return
	}
	c, err := s.Store.CreateCustomer(r.Context(), req.Name, req.Domain,
		partnerships.CustomerUser{Email: req.AdminEmail, Name: req.AdminName, Role: role})
	if err != nil {
		if errors.Is(err, partnerships.ErrInvalidInput) {
			field, msg := splitFieldError(err)
			if f, ok := strings.CutPrefix(field, "first_admin."); ok {
				field = "admin_" + f
			}
			writeError(w, http.StatusBadRequest, "invalid request", map[string]string{field: msg})
			return
		}
		s.storeError(w, r, err)
		return
	}
	s.log(r).Info("operator api: customer created", "customer_id", c.ID, "ip", clientIP(r))
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) adminListCustomers(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Store.Customers(r.Context())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if cs == nil {
		cs = []partnerships.Customer{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": cs})
}

type adminUserRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request) {
	var req adminUserRequest
	if !decodeAdmin(w, r, &req) {
		return
	}
	fields := map[string]string{}
	if strings.TrimSpace(req.Email) == "" {
		fields["email"] = "required"
	}
	role, err := partnerships.ParseCustomerRole(req.Role)
	if err != nil {
		fields["role"] = err.Error()
	}
	if len(fields) > 0 {
		writeError(w, http.StatusBadRequest, "invalid request", fields)
		return
	}
	u := partnerships.CustomerUser{CustomerID: r.PathValue("id"), Email: req.Email, Name: req.Name, Role: role}
	if err := s.Store.AddCustomerUser(r.Context(), u); err != nil {
		s.storeError(w, r, err)
		return
	}
	users, err := s.Store.CustomerUsers(r.Context(), u.CustomerID)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	for _, got := range users {
		if strings.EqualFold(got.Email, strings.TrimSpace(req.Email)) {
			writeJSON(w, http.StatusCreated, got)
			return
		}
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) adminListUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.Store.CustomerUsers(r.Context(), r.PathValue("id"))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if users == nil {
		users = []partnerships.CustomerUser{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

type adminPartnerRequest struct {
	Name         string `json:"name"`
	ContactEmail string `json:"contact_email"`
}

type adminPartnerResponse struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	ContactEmail string    `json:"contact_email"`
	CreatedAt    time.Time `json:"created_at"`
	APIKey       string    `json:"api_key"` // shown only here
}

func (s *Server) adminCreatePartner(w http.ResponseWriter, r *http.Request) {
	var req adminPartnerRequest
	if !decodeAdmin(w, r, &req) {
		return
	}
	p, key, err := s.Store.CreatePartner(r.Context(), req.Name, req.ContactEmail)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.log(r).Info("operator api: partner created", "partner_id", p.ID, "ip", clientIP(r))
	writeJSON(w, http.StatusCreated, adminPartnerResponse{ID: p.ID, Name: p.Name, ContactEmail: p.ContactEmail, CreatedAt: p.CreatedAt, APIKey: key})
}

// adminProfileRequest changes a partner's profile; absent fields stay as they are.
type adminProfileRequest struct {
	Listed                *bool     `json:"listed"`
	Location              *string   `json:"location"`
	Sizes                 *[]string `json:"sizes"`
	Keywords              *[]string `json:"keywords"`
	Description           *string   `json:"description"`
	WebhookURL            *string   `json:"webhook_url"`
	WebhookSecret         *string   `json:"webhook_secret"`
	GenerateWebhookSecret bool      `json:"generate_webhook_secret"`
}

type adminProfileResponse struct {
	partnerships.PartnerProfile
	WebhookSecret string `json:"webhook_secret,omitempty"` // only when generated
}

func (s *Server) adminUpdatePartner(w http.ResponseWriter, r *http.Request) {
	var req adminProfileRequest
	if !decodeAdmin(w, r, &req) {
		return
	}
	u := partnerships.ProfileUpdate{Listed: req.Listed, Location: req.Location, Sizes: req.Sizes, Keywords: req.Keywords,
		Description: req.Description, WebhookURL: req.WebhookURL, WebhookSecret: req.WebhookSecret}
	generated := ""
	if req.GenerateWebhookSecret {
		if req.WebhookSecret != nil {
			writeError(w, http.StatusBadRequest, "invalid request", map[string]string{"generate_webhook_secret": "give webhook_secret or generate_webhook_secret, not both"})
			return
		}
		generated = partnerships.NewWebhookSecret()
		u.WebhookSecret = &generated
	}
	p, err := s.Store.UpdatePartnerProfile(r.Context(), r.PathValue("id"), u)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	s.log(r).Info("operator api: partner profile updated", "partner_id", p.PartnerID, "ip", clientIP(r))
	writeJSON(w, http.StatusOK, adminProfileResponse{PartnerProfile: p, WebhookSecret: generated})
}
