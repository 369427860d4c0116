package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// sessionCookie holds a customer portal session's id.
const sessionCookie = "pl_session"

// setSession gives the browser the session cookie: HttpOnly, SameSite=Lax (sent
// when the admin follows an emailed link, never with another site's POST), Secure
// when partnerlink is served over https.
func (s *Server) setSession(w http.ResponseWriter, sess partnerships.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sess.ID, Path: s.Links.Path(), HttpOnly: true,
		Secure: s.Links.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: int(partnerships.SessionTTL / time.Second),
	})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: s.Links.Path(), HttpOnly: true,
		Secure: s.Links.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1,
	})
}

// startSession starts a session for email (after an accepted invitation or a
// signed agreement) and sets its cookie. A failure is logged: the change it
// follows is done, and the admin can still sign in.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, email string) bool {
	sess, err := s.Store.StartSession(r.Context(), partnerships.StartSessionInput{Email: email})
	if err != nil {
		s.log(r).Warn("portal session not started", "err", err, "ip", clientIP(r))
		return false
	}
	s.setSession(w, sess)
	return true
}

type sessionKey struct{}

// portal is a handler of a signed-in portal page.
type portal func(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string)

// portalOnly runs h for a request with a live session whose user is, according to
// the store right now, still a global or billing administrator of the session's
// customer. Anyone else is sent to the sign-in page.
func (s *Server) portalOnly(h portal) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := localeFor("", r)
		sess, err := s.currentSession(r.Context(), r)
		switch {
		case errors.Is(err, partnerships.ErrNotFound):
			http.Redirect(w, r, s.Links.Path("portal", "signin"), http.StatusSeeOther)
			return
		case errors.Is(err, partnerships.ErrNotAdmin):
			s.clearSession(w)
			s.message(w, http.StatusForbidden, lang, "portal_notadmin")
			return
		case err != nil:
			s.refuse(w, r, lang, unavailable(err))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)), sess, lang)
	}
}

// currentSession is the request's session, its role read again from the store:
// ErrNotFound without one, ErrNotAdmin when its user may no longer act.
func (s *Server) currentSession(ctx context.Context, r *http.Request) (partnerships.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return partnerships.Session{}, partnerships.ErrNotFound
	}
	sess, err := s.Store.Session(ctx, c.Value)
	if err != nil {
		return partnerships.Session{}, err
	}
	u, err := s.Store.UserByEmail(ctx, sess.Email)
	if errors.Is(err, partnerships.ErrUnknownRecipient) || (err == nil && (u.CustomerID != sess.CustomerID || !u.Role.CanAccept())) {
		_ = s.Store.EndSession(ctx, sess.ID)
		return partnerships.Session{}, partnerships.ErrNotAdmin
	}
	if err != nil {
		return partnerships.Session{}, err
	}
	sess.Role = u.Role
	return sess, nil
}

// portalPost checks a portal form POST's CSRF token; on failure it shows why.
func (s *Server) portalPost(w http.ResponseWriter, r *http.Request, lang, action string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !s.checkCSRF(r) {
		s.log(r).Warn(action+" refused: CSRF check failed", "ip", clientIP(r))
		s.message(w, http.StatusForbidden, lang, "portal_csrf")
		return false
	}
	return true
}
