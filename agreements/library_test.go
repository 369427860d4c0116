package agreements

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"testing/fstest"
)

func TestSample(t *testing.T) {
	lib := Sample()
	for _, loc := range []string{"en", "de"} {
		d := lib.Latest(loc)
		if d.Locale != loc || d.Version != "2026-01" {
			t.Fatalf("Latest(%q) = %s/%s", loc, d.Version, d.Locale)
		}
		sum := sha256.Sum256([]byte(d.Text))
		if d.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: SHA256 %s does not match the text", loc, d.SHA256)
		}
		if d.Title == "" {
			t.Errorf("%s: no title", loc)
		}
	}
	if d := lib.Latest("fr"); d.Locale != DefaultLocale {
		t.Errorf("Latest(fr) fell back to %q, want %q", d.Locale, DefaultLocale)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		latest  string // version of Latest("en")
		wantErr error
	}{
		{"natural version order", fstest.MapFS{
			"v9.en.txt":  {Data: []byte("nine")},
			"v10.en.txt": {Data: []byte("ten")},
			"v2.en.txt":  {Data: []byte("two")},
			"README.md":  {Data: []byte("ignored")},
		}, "v10", nil},
		{"dates", fstest.MapFS{
			"2026-01.en.txt": {Data: []byte("a")},
			"2025-12.en.txt": {Data: []byte("b")},
		}, "2026-01", nil},
		{"empty folder", fstest.MapFS{"notes.txt": {Data: []byte("x")}}, "", ErrInvalid},
		{"empty file", fstest.MapFS{"1.en.txt": {Data: []byte(" \n")}}, "", ErrInvalid},
		{"not utf-8", fstest.MapFS{"1.en.txt": {Data: []byte{0xff, 0xfe}}}, "", ErrInvalid},
		{"too large", fstest.MapFS{"1.en.txt": {Data: make([]byte, maxSize+1)}}, "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := Load(tt.files)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load: err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := lib.Latest("en").Version; got != tt.latest {
				t.Errorf("Latest = %q, want %q (versions %v)", got, tt.latest, lib.Versions())
			}
		})
	}
}

func TestGet(t *testing.T) {
	lib := Sample()
	if _, err := lib.Get("2026-01", "de"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Get("1999", "en"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(1999) err = %v, want ErrNotFound", err)
	}
}
