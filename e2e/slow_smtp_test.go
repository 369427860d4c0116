package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSlowSMTPNeverBlocksTheAPI (issue 6 item 3): `partnerlink worker` talks to an
// SMTP server that accepts connections and then says nothing (as a stuck server
// would); meanwhile `partnerlink serve` answers every createInvitation within a
// second, because the API only stores and enqueues. The invitations stay pending.
func TestSlowSMTPNeverBlocksTheAPI(t *testing.T) {
	bin := buildPartnerlink(t)
	rs := testredis.Start(t, "--appendonly", "yes")
	store := partnerships.NewStore(rs.Client())
	ctx := context.Background()
	_, apiKey, err := store.CreatePartner(ctx, "Contoso Ltd", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	customer, err := store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: requestUser(1), Name: "U1", Role: partnerships.GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= n; i++ {
		if err := store.AddCustomerUser(ctx, partnerships.CustomerUser{CustomerID: customer.ID, Email: requestUser(i), Role: partnerships.User}); err != nil {
			t.Fatal(err)
		}
	}

	// The stuck server: accepts and holds every connection, never greets.
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	var (
		mu   sync.Mutex
		held []net.Conn
	)
	heldN := func() int { mu.Lock(); defer mu.Unlock(); return len(held) }
	go func() {
		for {
			c, err := stuck.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		stuck.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()

	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := hl.Addr().String()
	hl.Close()
	p := newProcs(t, bin, rs.URL, stuck.Addr().String(), "PARTNERLINK_HTTP_ADDR="+httpAddr)
	workers := p.startAll("worker", "serve")
	p.waitLog(1, `"msg":"serving"`, 10*time.Second)

	slowest := time.Duration(0)
	for i := 1; i <= n; i++ {
		body, _ := json.Marshal(map[string]any{"customer_email": requestUser(i), "relationship_type": "delegated_admin", "locale": "en"})
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/api/v1/invitations", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		began := time.Now()
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		took := time.Since(began)
		if err != nil {
			t.Fatalf("create invitation %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create invitation %d: status %d", i, resp.StatusCode)
		}
		slowest = max(slowest, took)
		if took > time.Second {
			t.Errorf("create invitation %d took %s while the SMTP server hangs, want < 1s", i, took)
		}
	}
	if heldN() == 0 {
		// The worker must actually be stuck on the server for the test to mean anything.
		deadline := time.Now().Add(10 * time.Second)
		for heldN() == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if heldN() == 0 {
			t.Fatal("the worker never connected to the stuck SMTP server")
		}
	}
	invs, err := store.InvitationsByCustomer(ctx, customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.Status != partnerships.StatusPending {
			t.Errorf("invitation %s is %s with the SMTP server stuck, want pending", inv.ID, inv.Status)
		}
	}
	t.Logf("%d invitations created, slowest answer %s, worker holding %d SMTP connections to the stuck server, all pending",
		len(invs), slowest.Round(time.Millisecond), heldN())
	for i, c := range workers {
		t.Logf("%s stopped %s after SIGTERM", []string{"worker (stuck in SMTP)", "serve"}[i], p.stop(c, 25*time.Second).Round(time.Millisecond))
	}
}
