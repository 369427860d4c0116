package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

const csrfCookie = "pl_csrf"

// csrfToken returns the request's CSRF token, setting a new one in a cookie when the
// browser has none (double-submit: a POST must carry the cookie's value as a field).
// SameSite=Lax: the browser sends the cookie when the admin follows the emailed link
// (so two open invitations share one token) but never with another site's POST.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: v, Path: s.Links.Path(), HttpOnly: true,
		Secure: s.Links.Secure(), SameSite: http.SameSiteLaxMode,
	})
	return v
}

// Every state-changing form POST calls checkCSRF (web.TestAttackCSRFEveryPost walks
// them all) but one: POST /reminders/stop/{token}, RFC 8058 one-click unsubscribe,
// which mail clients send without any page of ours. Its signed single-purpose token
// authorises it, and it only stops an open invitation's reminders, idempotently.

// checkCSRF reports whether a POST carries the cookie's token in its csrf field and,
// when the browser says where it comes from, comes from partnerlink's own origin.
// Pages are served with Referrer-Policy: no-referrer, under which browsers send
// "Origin: null"; that says nothing, and the token decides.
func (s *Server) checkCSRF(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != s.Links.Origin() {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) == 1
}
