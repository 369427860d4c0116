package links

import (
	"errors"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		base, invite string
		secure       bool
		wantErr      bool
	}{
		{"https://partners.example.com", "https://partners.example.com/invite/t0k", true, false},
		{"https://example.com/pl/", "https://example.com/pl/invite/t0k", true, false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/invite/t0k", false, false},
		{"ftp://example.com", "", false, true},
		{"example.com", "", false, true},
		{"https://u:p@example.com", "", false, true},
		{"https://example.com/?x=1", "", false, true},
		{"https://example.com/#f", "", false, true},
		{"https://", "", false, true},
	}
	for _, tt := range tests {
		b, err := New(tt.base)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidBase) {
				t.Errorf("New(%q) err = %v, want ErrInvalidBase", tt.base, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%q): %v", tt.base, err)
		}
		if got := b.Invite("t0k"); got != tt.invite {
			t.Errorf("Invite = %q, want %q", got, tt.invite)
		}
		if b.Secure() != tt.secure {
			t.Errorf("%q: Secure = %v", tt.base, b.Secure())
		}
	}
}

func TestSegmentsEscaped(t *testing.T) {
	b, _ := New("https://example.com")
	if got, want := b.Agreement("v1/../x", "en"), "https://example.com/agreements/v1%2F..%2Fx/en"; got != want {
		t.Errorf("Agreement = %q, want %q", got, want)
	}
}
