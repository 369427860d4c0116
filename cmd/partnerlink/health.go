package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// runHealth asks a running server whether it is healthy: for container health
// checks, where the image has no curl. Exit 0 when it answers 200, 1 otherwise.
func runHealth(ctx context.Context, args []string, stdout, _ io.Writer) error {
	f := newFlags("health", "Asks a running partnerlink server whether it is healthy; exits 0 when it answers 200 OK.", stdout)
	rawURL := f.fs.String("url", "http://127.0.0.1:8080/healthz", "the health `URL` to ask")
	timeout := f.fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if _, err := f.parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf("--url %q: want http://host:port/healthz", *rawURL)
	}
	if *timeout <= 0 {
		return configErrorf("--timeout %s: must be positive", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	answer := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", u, resp.Status, answer)
	}
	fmt.Fprintln(stdout, answer)
	return nil
}
