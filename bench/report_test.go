package main

import (
	"os"
	"testing"
)

func TestCommas(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567.4, "1,234,567"}, {-12345, "-12,345"},
	} {
		if got := commas(tc.in); got != tc.want {
			t.Errorf("commas(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRSSOfThisProcess(t *testing.T) {
	kib, err := rssKiB(os.Getpid())
	if err != nil || kib <= 0 {
		t.Fatalf("rssKiB(self) = %d, %v; want a positive size", kib, err)
	}
}
