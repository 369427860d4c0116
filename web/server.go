package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// Enqueuer queues work for the worker; *jobs.Enqueuer is one.
type Enqueuer interface {
	// SendInvitationOf queues the send of inv; its task carries the partner,
	// address and send number, which saves the worker Redis round trips.
	SendInvitationOf(ctx context.Context, inv partnerships.Invitation) error
	// Notify queues telling a partner or a customer about ev.
	Notify(ctx context.Context, ev jobs.Event) error
	// Customer portal: the sign-in link and agreement request emails.
	SendSignInLink(ctx context.Context, p jobs.SignInLinkPayload) error
	SendAgreementRequest(ctx context.Context, p jobs.AgreementRequestPayload) error
	// Partner API lifecycle (api helper): ResendInvitationOf queues send number
	// inv.Sends (≥ 2) of invitation inv.
	ResendInvitationOf(ctx context.Context, inv partnerships.Invitation) error
	// SendLead queues emailing a directory lead to its partners (directory).
	SendLead(ctx context.Context, leadID string) error
}

// Deps are what the server works with. All are required but RDB, which is needed
// only when a rate limit is set.
type Deps struct {
	Store      *partnerships.Store
	Tokens     *tokens.Ring
	Agreements *agreements.Library
	Templates  *templates.Set // labels of types and roles
	Links      *links.Builder
	Enqueuer   Enqueuer
	Logger     *slog.Logger
	RDB        redis.UniversalClient // where the rate limiters keep their counts

	// Observability (metrics): the collectors requests are counted in (nil: none),
	// the /metrics handler (nil: no /metrics route) and the SMTP check of /readyz
	// (nil: skipped, and /readyz says so).
	Metrics        *metrics.Metrics
	MetricsHandler http.Handler
	SMTPCheck      func(context.Context) error
}

// Config tunes the server.
type Config struct {
	InviteTTL time.Duration   // how long an invitation stays valid
	APILimit  ratelimit.Limit // API requests per partner; zero: unlimited
	LinkLimit ratelimit.Limit // invitation link requests per client address; zero: unlimited

	// Directory: requests of the find-a-partner contact form per client address and
	// per sender address (zero: DefaultContactLimit when Deps.RDB is set, else
	// unlimited), and the operator API key ("": the operator API is off).
	ContactLimit ratelimit.Limit
	OperatorKey  string
}

// Server is partnerlink's HTTP handler.
type Server struct {
	Deps
	cfg   Config
	pages *pages
	mux   *routeMux

	apiLimiter, linkLimiter *ratelimit.Limiter

	// Directory: contact form limits, operator API key digest.
	contactIPLimiter, contactSenderLimiter *ratelimit.Limiter
	operatorKeyDigest                      [32]byte
	operatorKeySet                         bool

	ready *readiness // Observability (metrics): the cached /readyz result
}

// New returns the server. It fails when a dependency is missing or the embedded
// pages do not parse.
func New(cfg Config, d Deps) (*Server, error) {
	if d.Store == nil || d.Tokens == nil || d.Agreements == nil || d.Templates == nil || d.Links == nil || d.Enqueuer == nil || d.Logger == nil {
		return nil, errors.New("web: every dependency is required")
	}
	if cfg.InviteTTL <= 0 {
		return nil, fmt.Errorf("web: invite TTL must be positive, got %s", cfg.InviteTTL)
	}
	for _, l := range []struct {
		name  string
		limit ratelimit.Limit
	}{{"API", cfg.APILimit}, {"link", cfg.LinkLimit}} {
		if err := l.limit.Validate(); err != nil {
			return nil, fmt.Errorf("web: %s limit: %w", l.name, err)
		}
		if !l.limit.Unlimited() && d.RDB == nil {
			return nil, fmt.Errorf("web: the %s limit needs a Redis client (Deps.RDB)", l.name)
		}
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, cfg: cfg, pages: p, mux: newRouteMux(),
		apiLimiter:  ratelimit.New(d.RDB, "api", cfg.APILimit),
		linkLimiter: ratelimit.New(d.RDB, "link", cfg.LinkLimit),
	}
	if err := s.setupDirectory(cfg); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	p := s.Links.Path() // the base URL's path prefix, "/" when none
	if p == "/" {
		p = ""
	}
	s.mux.HandleFunc("POST "+p+"/api/v1/invitations", s.createInvitation) // authenticates itself
	s.mux.HandleFunc("GET "+p+"/api/v1/invitations/{id}", s.partnerOnly(s.getInvitation))
	s.mux.HandleFunc("GET "+p+"/invite/{token}", s.linkLimited("review", s.reviewInvitation))
	s.mux.HandleFunc("POST "+p+"/invite/{token}/accept", s.linkLimited("accept", s.acceptInvitation))
	s.mux.HandleFunc("GET "+p+"/invite/{token}/decline", s.linkLimited("confirm_decline", s.confirmDecline))
	s.mux.HandleFunc("POST "+p+"/invite/{token}/decline", s.linkLimited("decline", s.declineInvitation))
	s.mux.HandleFunc("GET "+p+"/agreements/{version}/{locale}", s.showAgreement)
	s.mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static", staticFiles()))
	s.mux.HandleFunc("GET "+p+"/healthz", s.healthz)
	// Customer portal (portal_routes.go).
	s.portalRoutes(p)

	// Partner API lifecycle (api helper): list, revoke, resend, relationships, OpenAPI.
	s.mux.HandleFunc("GET "+p+"/api/v1/invitations", s.partnerOnly(s.listInvitations))
	s.mux.HandleFunc("POST "+p+"/api/v1/invitations/{id}/revoke", s.partnerOnly(s.revokeInvitation))
	s.mux.HandleFunc("POST "+p+"/api/v1/invitations/{id}/resend", s.partnerOnly(s.resendInvitation))
	s.mux.HandleFunc("GET "+p+"/api/v1/relationships", s.partnerOnly(s.listRelationships))
	s.mux.HandleFunc("GET "+p+"/api/v1/relationships/{customer_id}", s.partnerOnly(s.getRelationship))
	s.mux.HandleFunc("DELETE "+p+"/api/v1/relationships/{customer_id}", s.partnerOnly(s.endRelationship))
	s.mux.HandleFunc("GET "+p+"/api/openapi.yaml", s.openAPI)
	// Scheduler (sched): the one-click stop-reminders link of reminder emails.
	s.mux.HandleFunc("GET "+p+"/reminders/stop/{token}", s.linkLimited("confirm_stop_reminders", s.confirmStopReminders))
	s.mux.HandleFunc("POST "+p+"/reminders/stop/{token}", s.linkLimited("stop_reminders", s.stopReminders))
	// Find a partner and the operator API (directory).
	s.directoryRoutes(p)
	// Observability (metrics): /readyz, and /metrics when the process exports them.
	s.observabilityRoutes(p)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.observe(w, r, s.serve)
}

// serve sets the security headers and serves r through the mux.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log(r).Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	s.mux.ServeHTTP(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.log(r).Warn("health check: redis unreachable", "err", err)
		http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// HTTPServer wraps h in an http.Server with timeouts set.
func HTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
