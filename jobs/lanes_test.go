package jobs

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/hibiken/asynq"
)

func TestLanesSplitConcurrency(t *testing.T) {
	for _, tc := range []struct {
		concurrency int
		want        []int
	}{
		{0, []int{5, 5}}, // the default, 10
		{1, []int{1}},
		{8, []int{8}},
		{9, []int{5, 4}},
		{10, []int{5, 5}},
		{32, []int{8, 8, 8, 8}},
		{33, []int{7, 7, 7, 6, 6}},
	} {
		l := NewLanes(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}, ServerConfig{Concurrency: tc.concurrency}, slog.New(slog.DiscardHandler))
		if !slices.Equal(l.sizes, tc.want) {
			t.Errorf("NewLanes(Concurrency %d) sizes = %v, want %v", tc.concurrency, l.sizes, tc.want)
		}
	}
}
