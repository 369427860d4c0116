package web

import (
	"net"
	"net/http"
)

// clientIP is the address the request came from. Headers such as X-Forwarded-For
// are not trusted: partnerlink records what it can vouch for.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
