package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// SignInTTL is how long an emailed sign-in link works.
const SignInTTL = 15 * time.Minute

// signInPage asks for the admin's email address.
type signInPage struct {
	page
	Action string
	CSRF   string
	Notice string
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	s.render(w, http.StatusOK, "signin", signInPage{page: s.page(T(lang, "signin.title"), lang),
		Action: s.Links.Path("portal", "signin"), CSRF: s.csrfToken(w, r)})
}

// requestSignIn emails a sign-in link when the address is a global or billing
// admin's, and answers the same page whoever asks, so it reveals no address.
func (s *Server) requestSignIn(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	if !s.portalPost(w, r, lang, "sign-in request") {
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
		s.render(w, http.StatusUnprocessableEntity, "signin", signInPage{page: s.page(T(lang, "signin.title"), lang),
			Action: s.Links.Path("portal", "signin"), CSRF: s.csrfToken(w, r), Notice: T(lang, "signin.bad_email")})
		return
	}
	u, err := s.Store.UserByEmail(r.Context(), email)
	switch {
	case err == nil && u.Role.CanAccept():
		now := time.Now().UTC().Truncate(time.Second)
		p := jobs.SignInLinkPayload{Email: u.Email, CustomerID: u.CustomerID, Locale: lang,
			Token: jobs.LinkToken{ID: tokens.NewID(), IssuedAt: now, ExpiresAt: now.Add(SignInTTL)}}
		switch err := s.Enqueuer.SendSignInLink(r.Context(), p); {
		case errors.Is(err, jobs.ErrAlreadyQueued):
			s.log(r).Info("sign-in link not sent: one was sent this minute", "customer_id", u.CustomerID, "ip", clientIP(r))
		case err != nil:
			s.refuse(w, r, lang, unavailable(err))
			return
		default:
			s.log(r).Info("sign-in link queued", "customer_id", u.CustomerID, "ip", clientIP(r))
		}
	case err == nil, errors.Is(err, partnerships.ErrUnknownRecipient), errors.Is(err, partnerships.ErrInvalidInput):
		s.log(r).Info("sign-in link not sent: not an administrator", "ip", clientIP(r))
	default:
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	s.message(w, http.StatusOK, lang, "signin_sent")
}

// signInConfirm is the page behind the emailed link: a button, so that a mail
// scanner opening the link does not use it up.
type signInConfirm struct {
	page
	Email  string
	Action string
	CSRF   string
}

func (s *Server) confirmSignIn(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	claims, ok := s.signInClaims(w, r, lang)
	if !ok {
		return
	}
	if used, err := s.Store.SignInUsed(r.Context(), claims.ID); err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	} else if used {
		s.message(w, http.StatusGone, lang, "signin_used")
		return
	}
	s.render(w, http.StatusOK, "signin_confirm", signInConfirm{page: s.page(T(lang, "signin.title"), lang),
		Email: claims.Recipient, Action: s.Links.Path("signin", r.PathValue("token")), CSRF: s.csrfToken(w, r)})
}

// signIn consumes the link and starts the session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	claims, ok := s.signInClaims(w, r, lang)
	if !ok || !s.portalPost(w, r, lang, "sign-in") {
		return
	}
	sess, err := s.Store.StartSession(r.Context(), partnerships.StartSessionInput{
		Email: claims.Recipient, SignInTokenID: claims.ID, SignInExpires: claims.ExpiresAt,
	})
	switch {
	case errors.Is(err, partnerships.ErrTokenUsed):
		s.message(w, http.StatusGone, lang, "signin_used")
		return
	case errors.Is(err, partnerships.ErrNotAdmin), errors.Is(err, partnerships.ErrUnknownRecipient):
		s.message(w, http.StatusForbidden, lang, "portal_notadmin")
		return
	case errors.Is(err, partnerships.ErrInvalidInput):
		s.message(w, http.StatusGone, lang, "signin_invalid")
		return
	case err != nil:
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	s.setSession(w, sess)
	s.log(r).Info("portal session started", "customer_id", sess.CustomerID, "ip", clientIP(r))
	http.Redirect(w, r, s.Links.Path("portal"), http.StatusSeeOther)
}

func (s *Server) signInClaims(w http.ResponseWriter, r *http.Request, lang string) (tokens.Claims, bool) {
	claims, err := s.Tokens.Verify(r.PathValue("token"), tokens.PurposeSignIn)
	if err == nil && claims.Subject != claims.Recipient {
		err = tokens.ErrWrongRecipient
	}
	if err != nil {
		s.log(r).Warn("sign-in link refused", "reason", err.Error(), "ip", clientIP(r))
		status := http.StatusBadRequest
		if errors.Is(err, tokens.ErrExpired) {
			status = http.StatusGone
		}
		s.message(w, status, lang, "signin_invalid")
		return tokens.Claims{}, false
	}
	return claims, true
}

// signOut ends the session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	if !s.portalPost(w, r, lang, "sign-out") {
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Store.EndSession(r.Context(), c.Value); err != nil {
			s.refuse(w, r, lang, unavailable(err))
			return
		}
	}
	s.clearSession(w)
	s.message(w, http.StatusOK, lang, "signed_out")
}
