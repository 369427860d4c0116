// Package web serves partnerlink over HTTP: the partner API under /api/v1, the
// customer pages where an admin reviews and accepts an invitation, and health checks.
//
// A GET (or HEAD) never changes state: mail security scanners open links before
// people do. Every state change is a POST with a CSRF token.
package web
