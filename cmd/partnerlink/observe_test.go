package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProcessMetrics runs serve, worker (--metrics-addr) and scheduler
// (--metrics-addr) against a real redis-server and SMTP sink: an invitation
// posted to serve and mailed by the worker shows in serve's /metrics (created,
// the request by route) and the worker's (the send, the pace); /readyz is ready
// and /healthz answers on every metrics address.
func TestProcessMetrics(t *testing.T) {
	_, sink := startStack(t, "https://partners.example.com")
	apiKey := addPartnerAndCustomer(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := startCmd(t, ctx, "serve", "--http-addr", "127.0.0.1:0")
	worker := startCmd(t, ctx, "worker", "--metrics-addr", "127.0.0.1:0")
	sched := startCmd(t, ctx, "scheduler", "--metrics-addr", "127.0.0.1:0")
	serving := regexp.MustCompile(`"msg":"serving metrics","addr":"(127\.0\.0\.1:\d+)"`)
	serveAddr := serve.waitLog(t, regexp.MustCompile(`"msg":"serving","addr":"(127\.0\.0\.1:\d+)"`))[1]
	workerAddr := worker.waitLog(t, serving)[1]
	schedAddr := sched.waitLog(t, serving)[1]
	defer stopCmds(t, cancel, map[string]*started{"serve": serve, "worker": worker, "scheduler": sched})

	c := newClient()
	req, _ := http.NewRequest("POST", "http://"+serveAddr+"/api/v1/invitations",
		strings.NewReader(`{"customer_email":"admin@fabrikam.example","relationship_type":"advisor"}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "test-create-1")
	resp, body := c.do(t, req)
	var inv struct{ ID string }
	if err := json.Unmarshal([]byte(body), &inv); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("POST invitation: %s %v\n%s", resp.Status, err, body)
	}
	if id := resp.Header.Get("X-Request-Id"); id != "test-create-1" {
		t.Errorf("X-Request-Id = %q, want the one sent", id)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if _, err := sink.Wait(wctx, 1); err != nil {
		t.Fatalf("no mail: %v\n--- worker ---\n%s", err, worker.stderr.String())
	}

	for _, w := range []struct{ addr, line string }{
		{serveAddr, `partnerlink_invitations_total{status="created"} 1`},
		{serveAddr, `partnerlink_http_requests_total{code="201",route="POST /api/v1/invitations"} 1`},
		{workerAddr, `partnerlink_sends_total{outcome="sent"} 1`},
		{workerAddr, `partnerlink_invitations_total{status="sent"} 1`},
		{workerAddr, `partnerlink_send_pace_sent_total 1`},
		{workerAddr, `partnerlink_send_pace_backlog 0`},
		{workerAddr, `partnerlink_queue_up{queue="mail"} 1`},
		{schedAddr, `partnerlink_queue_up{queue="mail"} 1`},
	} {
		waitMetric(t, c, w.addr, w.line)
	}
	if !regexp.MustCompile(`"msg":"http request","request_id":"test-create-1","method":"POST","route":"POST /api/v1/invitations","status":201`).MatchString(serve.stderr.String()) {
		t.Errorf("no access log line with the request id:\n%s", serve.stderr.String())
	}
	if !regexp.MustCompile(`"msg":"invitation sent",.*"task":"invitation:send","task_id":"[^"]+","invitation_id":"` + inv.ID + `"`).MatchString(worker.stderr.String()) {
		t.Errorf("worker's send log lacks task_id and invitation_id:\n%s", worker.stderr.String())
	}
	if resp, body := c.get(t, "http://"+serveAddr+"/readyz"); resp.StatusCode != 200 || body != "ready\n" {
		t.Errorf("serve /readyz = %s %q, want 200 ready", resp.Status, body)
	}
	for _, a := range []string{workerAddr, schedAddr} {
		if resp, body := c.get(t, "http://"+a+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
			t.Errorf("%s/healthz = %s %q", a, resp.Status, body)
		}
	}
}

// waitMetric scrapes addr's /metrics until it has line, for up to 10 seconds
// (the worker records a send just after the SMTP server took it).
func waitMetric(t *testing.T, c *client, addr, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := c.get(t, "http://"+addr+"/metrics")
		if resp.StatusCode == 200 && strings.Contains("\n"+body, "\n"+line+"\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s/metrics lacks %q", addr, line)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
