package partnerships

import (
	"testing"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// TestOnThreeNodeCluster runs every script on a real three-master Redis Cluster
// (three redis-server --cluster-enabled yes joined by redis-cli --cluster create)
// through go-redis's cluster client. Each script's keys share one hash slot, so
// each runs on one node; the keys of different customers and partners land on
// different nodes, and the reads that span them are routed per key.
func TestOnThreeNodeCluster(t *testing.T) {
	c := testredis.StartCluster(t, 3)
	cluster := c.Client()
	e := newEnvOn(t, c.Nodes[0], cluster)
	e.s = NewStore(cluster, WithClock(e.clock.Now), withObserver(e.hooks.observe))
	exerciseAllScripts(t, e)

	calls := e.hooks.recorded()
	checkScriptCalls(t, calls, keySlot)

	// Which node serves each slot, from the cluster itself.
	slots, err := cluster.ClusterSlots(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	nodeOf := func(slot int) string {
		for _, r := range slots {
			if int(r.Start) <= slot && slot <= int(r.End) {
				return r.Nodes[0].Addr
			}
		}
		t.Fatalf("slot %d is served by no node", slot)
		return ""
	}
	ranOn := map[string]int{}
	for _, call := range calls {
		ranOn[nodeOf(keySlot(call.keys[0]))]++
	}
	if len(ranOn) < 2 {
		t.Errorf("scripts ran on %d node(s) %v; want the keys spread over the cluster", len(ranOn), ranOn)
	}
	t.Logf("%d script runs by node: %v", len(calls), ranOn)
}
