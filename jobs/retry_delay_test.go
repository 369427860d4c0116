package jobs

import (
	"errors"
	"math"
	"testing"
	"time"
)

// TestRetryDelay: 10 s doubling per retry, capped at two hours, never zero or
// negative whatever asynq passes.
func TestRetryDelay(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{math.MinInt, 10 * time.Second},
		{-1, 10 * time.Second},
		{0, 10 * time.Second},
		{1, 20 * time.Second},
		{2, 40 * time.Second},
		{3, 80 * time.Second},
		{8, 2560 * time.Second},
		{9, 5120 * time.Second},
		{10, 2 * time.Hour}, // 10240 s, capped
		{11, 2 * time.Hour},
		{SendMaxRetry, 2 * time.Hour},
		{1000, 2 * time.Hour},
		{math.MaxInt, 2 * time.Hour},
	}
	for _, tt := range tests {
		if got := RetryDelay(tt.n, errors.New("451"), task(t, "in_x")); got != tt.want {
			t.Errorf("RetryDelay(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

// TestRetryDelaySchedule: the delays between the SendMaxRetry retries grow and
// add up to about a day, as SendMaxRetry's doc says.
func TestRetryDelaySchedule(t *testing.T) {
	var total, prev time.Duration
	for n := range SendMaxRetry {
		d := RetryDelay(n, nil, nil)
		if d <= 0 || d > 2*time.Hour || d < prev {
			t.Errorf("RetryDelay(%d) = %s after %s: want positive, non-decreasing, at most 2h", n, d, prev)
		}
		prev, total = d, total+d
	}
	if total < 18*time.Hour || total > 30*time.Hour {
		t.Errorf("retries span %s, want about a day", total)
	}
}
