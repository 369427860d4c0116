package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// directoryPage is GET /partners: the find-a-partner search and contact form.
type directoryPage struct {
	page
	Query      directoryQuery
	Sizes      []string
	Partners   []directoryEntry
	Total      int // listed partners before filtering
	Action     string
	SearchURL  string
	CSRF       string
	Form       contactForm
	Error      string
	FieldError map[string]string
}

type directoryQuery struct {
	Location, Size, Keywords string
}

type directoryEntry struct {
	ID, Name, Location, Description string
	Sizes, Keywords                 []string
	Checked                         bool
}

// contactForm is what the customer typed, shown again after a refusal.
type contactForm struct {
	Name, Email, Organisation, Message string
	Selected                           []string
}

// maxSearchLen bounds each search field; maxContactBody the contact form.
const (
	maxSearchLen   = 200
	maxContactBody = 64 << 10
)

// showDirectory lists the listed partners that match the search. It changes nothing.
func (s *Server) showDirectory(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	q := directoryQuery{
		Location: clip(r.URL.Query().Get("location"), maxSearchLen),
		Size:     clip(r.URL.Query().Get("size"), maxSearchLen),
		Keywords: clip(r.URL.Query().Get("q"), maxSearchLen),
	}
	s.renderDirectory(w, r, lang, http.StatusOK, q, contactForm{}, "", nil)
}

func (s *Server) renderDirectory(w http.ResponseWriter, r *http.Request, lang string, status int, q directoryQuery, f contactForm, errMsg string, fields map[string]string) {
	listed, err := s.Store.ListedPartners(r.Context())
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	entries := make([]directoryEntry, 0, len(listed))
	for _, p := range listed {
		if !q.matches(p) && !slices.Contains(f.Selected, p.PartnerID) {
			continue
		}
		entries = append(entries, directoryEntry{ID: p.PartnerID, Name: p.Name, Location: p.Location,
			Description: p.Description, Sizes: p.Sizes, Keywords: p.Keywords,
			Checked: slices.Contains(f.Selected, p.PartnerID)})
	}
	s.render(w, status, "directory", directoryPage{
		page: s.page(T(lang, "directory.title"), lang), Query: q, Sizes: partnerships.SizeBands(),
		Partners: entries, Total: len(listed), Action: s.Links.Path("partners", "contact"), SearchURL: s.Links.Path("partners"),
		CSRF: s.csrfToken(w, r), Form: f, Error: errMsg, FieldError: fields,
	})
}

// matches reports whether p fits the search: the location as a substring, the size
// band exactly, and every keyword somewhere in its name, description, location or
// keywords (case-insensitive).
func (q directoryQuery) matches(p partnerships.PartnerProfile) bool {
	if q.Location != "" && !strings.Contains(strings.ToLower(p.Location), strings.ToLower(strings.TrimSpace(q.Location))) {
		return false
	}
	if q.Size != "" && !slices.Contains(p.Sizes, q.Size) {
		return false
	}
	hay := strings.ToLower(strings.Join(append([]string{p.Name, p.Description, p.Location}, p.Keywords...), " "))
	for _, term := range strings.FieldsFunc(strings.ToLower(q.Keywords), func(r rune) bool { return r == ' ' || r == ',' }) {
		if !strings.Contains(hay, term) {
			return false
		}
	}
	return true
}

// contactPartners stores the customer's request as a lead and queues it to every
// selected partner. A refusal shows the form again and changes nothing.
func (s *Server) contactPartners(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	r.Body = http.MaxBytesReader(w, r.Body, maxContactBody)
	if !s.checkCSRF(r) {
		s.log(r).Warn("directory contact: CSRF check failed", "ip", clientIP(r))
		s.message(w, http.StatusForbidden, lang, "directory.csrf")
		return
	}
	f := contactForm{
		Name:         clip(r.PostFormValue("name"), 300),
		Email:        clip(r.PostFormValue("email"), 300),
		Organisation: clip(r.PostFormValue("organisation"), 300),
		Message:      clip(r.PostFormValue("message"), 4000),
	}
	for _, id := range r.PostForm["partner"] {
		if len(f.Selected) < 20 && !slices.Contains(f.Selected, id) {
			f.Selected = append(f.Selected, clip(id, 40))
		}
	}
	q := directoryQuery{Location: clip(r.PostFormValue("location"), maxSearchLen), Size: clip(r.PostFormValue("size"), maxSearchLen),
		Keywords: clip(r.PostFormValue("q"), maxSearchLen)}
	if !s.allowContact(w, r, lang, strings.ToLower(strings.TrimSpace(f.Email))) {
		return
	}
	lead, err := s.Store.CreateLead(r.Context(), partnerships.NewLead{PartnerIDs: f.Selected, Name: f.Name, Email: f.Email,
		Organisation: f.Organisation, Message: f.Message, Locale: lang})
	switch {
	case errors.Is(err, partnerships.ErrInvalidInput):
		field := fieldOf(err)
		s.renderDirectory(w, r, lang, http.StatusUnprocessableEntity, q, f, T(lang, "directory.invalid"),
			map[string]string{field: T(lang, "directory.field_"+field)})
		return
	case errors.Is(err, partnerships.ErrNotFound):
		f.Selected = nil
		s.renderDirectory(w, r, lang, http.StatusUnprocessableEntity, q, f, T(lang, "directory.gone"), map[string]string{"partners": T(lang, "directory.field_partners")})
		return
	case err != nil:
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	if err := s.Enqueuer.SendLead(r.Context(), lead.ID); err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
		s.log(r).Error("lead stored but not queued", "lead_id", lead.ID, "err", err)
	}
	s.log(r).Info("directory lead", "lead_id", lead.ID, "partners", len(lead.PartnerIDs), "ip", clientIP(r))
	s.message(w, http.StatusOK, lang, "directory.sent", strconv.Itoa(len(lead.PartnerIDs)))
}

// fieldOf is the field a store validation error names ("…invalid input: email: …").
func fieldOf(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, partnerships.ErrInvalidInput.Error()+": "); ok {
		if field, _, ok := strings.Cut(rest, ":"); ok {
			switch field {
			case "partners", "name", "email", "organisation", "message":
				return field
			}
		}
	}
	return "form"
}

// allowContact takes one request from the client address's and the sender
// address's contact limits; when either is spent it answers 429 and returns false.
func (s *Server) allowContact(w http.ResponseWriter, r *http.Request, lang, sender string) bool {
	ip := clientIP(r)
	for _, c := range []struct{ name, subject string }{{"ip", ip}, {"sender", sender}} {
		if c.subject == "" {
			continue
		}
		lim := s.contactIPLimiter
		if c.name == "sender" {
			lim = s.contactSenderLimiter
		}
		res, err := lim.Allow(r.Context(), c.subject)
		if err != nil {
			s.log(r).Warn("directory contact rate limit not applied", "by", c.name, "err", err)
			continue
		}
		if !res.Allowed {
			secs := retryAfter(w, res.RetryAfter)
			s.log(r).Warn("directory contact rate limit exceeded", "by", c.name, "ip", ip, "retry_after_s", secs)
			s.message(w, http.StatusTooManyRequests, lang, "ratelimited", strconv.Itoa(secs))
			return false
		}
	}
	return true
}

// clip cuts s to at most n bytes, so an oversized field cannot blow up a page.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
