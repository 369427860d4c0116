package partnerships

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false}, {"720h", 30 * day, false}, {"30d", 30 * day, false}, {" 30 ", 30 * day, false},
		{"1.5h", 90 * time.Minute, false},
		{"0", 0, true}, {"0d", 0, true}, {"-24h", 0, true}, {"a month", 0, true}, {"10001d", 0, true}, {"1.5d", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
