package main

import (
	"context"
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// TestDurabilityWarning: serve and worker warn (not refuse) when Redis may lose
// acknowledged acceptances in a crash, naming the setting to change.
func TestDurabilityWarning(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // "" for no warning
	}{
		{"no AOF", []string{"--appendonly", "no"}, "appendonly no"},
		{"AOF every second", []string{"--appendonly", "yes", "--appendfsync", "everysec"}, "appendfsync everysec"},
		{"AOF always", []string{"--appendonly", "yes", "--appendfsync", "always"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testredis.Start(t, tc.args...)
			got := durabilityWarning(context.Background(), srv.Client())
			if tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || !strings.Contains(got, "appendfsync always")) {
				t.Errorf("durabilityWarning = %q, want one naming %q and the fix", got, tc.want)
			}
		})
	}
}
