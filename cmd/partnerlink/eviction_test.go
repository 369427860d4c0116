package main

import (
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// TestRefusesEvictingRedis: serve, worker and the operator commands refuse a Redis
// that may evict keys, saying which policy to set; noeviction is accepted.
func TestRefusesEvictingRedis(t *testing.T) {
	clearEnv(t)
	keys := testKeys(t)
	srv := testredis.Start(t, "--maxmemory-policy", "allkeys-lru")
	for _, args := range [][]string{
		append([]string{"serve"}, goodArgs("serve", srv.URL, keys)...),
		append([]string{"worker"}, goodArgs("worker", srv.URL, keys)...),
		{"partners", "list", "--redis-url", srv.URL},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := runCmd(t, args...)
			if r.code != 1 || !strings.Contains(r.stderr, "maxmemory-policy allkeys-lru") || !strings.Contains(r.stderr, "noeviction") {
				t.Errorf("want exit 1 naming the policy and the fix:\n%v", r)
			}
		})
	}
	ok := testredis.Start(t)
	if r := runCmd(t, "partners", "list", "--redis-url", ok.URL); r.code != 0 {
		t.Errorf("noeviction refused:\n%v", r)
	}
}
