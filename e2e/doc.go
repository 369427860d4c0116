// Package e2e holds partnerlink's end-to-end tests: the API, the worker, the pages
// and a browser against a real redis-server and a real SMTP server, wired as
// `partnerlink serve` and `partnerlink worker` wire them.
package e2e
