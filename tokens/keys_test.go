package tokens

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	s1 := bytes.Repeat([]byte{0xfb}, 32) // base64 uses + / or - _
	s2 := []byte("0123456789abcdef0123456789abcdef01")
	std, url := base64.StdEncoding, base64.URLEncoding
	rawStd, rawURL := base64.RawStdEncoding, base64.RawURLEncoding
	good := []struct {
		name string
		in   string
		want []Key
	}{
		{"one, std padded", "k1:" + std.EncodeToString(s2), []Key{{"k1", s2}}},
		{"one, std unpadded", "k1:" + rawStd.EncodeToString(s2), []Key{{"k1", s2}}},
		{"one, url padded", "k1:" + url.EncodeToString(s2), []Key{{"k1", s2}}},
		{"one, url unpadded", "k1:" + rawURL.EncodeToString(s2), []Key{{"k1", s2}}},
		{"std alphabet chars", "a:" + std.EncodeToString(s1), []Key{{"a", s1}}},
		{"url alphabet chars", "a:" + rawURL.EncodeToString(s1), []Key{{"a", s1}}},
		{"two, newest first", "new:" + rawURL.EncodeToString(s1) + ",old:" + std.EncodeToString(s2),
			[]Key{{"new", s1}, {"old", s2}}},
		{"spaces", "  new : " + rawURL.EncodeToString(s1) + " ,\told:" + std.EncodeToString(s2) + "\n",
			[]Key{{"new", s1}, {"old", s2}}},
		{"longest id", "Aa0_-Aa0_-Aa0_-Z:" + rawURL.EncodeToString(s2), []Key{{"Aa0_-Aa0_-Aa0_-Z", s2}}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeys(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d keys, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].ID != tt.want[i].ID || !bytes.Equal(got[i].Secret, tt.want[i].Secret) {
					t.Errorf("key %d = %s %x, want %s %x", i, got[i].ID, got[i].Secret, tt.want[i].ID, tt.want[i].Secret)
				}
			}
		})
	}

	ok := rawURL.EncodeToString(s2)
	secretText := "c2VjcmV0IHNlY3JldCBzZWNyZXQ" // must never appear in an error
	bad := []struct {
		name, in, want string
	}{
		{"empty", "", "no keys configured"},
		{"blank", "  ", "no keys configured"},
		{"empty first entry", ",k1:" + ok, "entry 1 is empty"},
		{"empty middle entry", "k1:" + ok + ",,k2:" + ok, "entry 2 is empty"},
		{"trailing comma", "k1:" + ok + ",", "entry 2 is empty"},
		{"no colon", secretText, "entry 1: want id:base64secret"},
		{"empty id", ":" + ok, "entry 1: key id must be 1 to 16 characters"},
		{"long id", strings.Repeat("a", 17) + ":" + ok, "entry 1: key id must be"},
		{"bad id char", "k1:" + ok + ",k.2:" + ok, "entry 2: key id must be"},
		{"secret as id", secretText + "xyz:" + ok, "entry 1: key id must be"},
		{"bad base64", "k1:" + ok + ",k2:" + secretText + "!!", "entry 2 (\"k2\"): secret is not valid base64"},
		{"mixed alphabets", "k1:" + ok[:10] + "+_" + ok[12:], "entry 1 (\"k1\"): secret is not valid base64"},
		{"empty secret", "k1:", "entry 1 (\"k1\"): secret is 0 bytes, need at least 32"},
		{"short secret", "k1:" + ok + ",k2:" + rawURL.EncodeToString(make([]byte, 31)), "entry 2 (\"k2\"): secret is 31 bytes, need at least 32"},
		{"duplicate id", "k1:" + ok + ",k2:" + ok + ",k1:" + ok, "entry 3: key id \"k1\" duplicates entry 1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeys(tt.in)
			if got != nil || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ParseKeys = %v, %v; want ErrInvalidKey", got, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "tokens: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, secretText) || strings.Contains(msg, ok) {
				t.Errorf("error %q contains secret material", msg)
			}
		})
	}
}

func TestGenerateFormatParse(t *testing.T) {
	k1, err := GenerateKey("2026-03")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateKey("old_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(k1.Secret) < minSecretLen || bytes.Equal(k1.Secret, k2.Secret) {
		t.Fatalf("GenerateKey secrets: %x, %x", k1.Secret, k2.Secret)
	}
	s := FormatKeys([]Key{k1, k2})
	if strings.ContainsAny(s, "=+/ ") {
		t.Errorf("FormatKeys = %q: want URL-safe unpadded base64", s)
	}
	got, err := ParseKeys(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != k1.ID || !bytes.Equal(got[0].Secret, k1.Secret) ||
		got[1].ID != k2.ID || !bytes.Equal(got[1].Secret, k2.Secret) {
		t.Fatalf("ParseKeys(FormatKeys(keys)) = %v, want %v", got, []Key{k1, k2})
	}
	if _, err := NewRing(got); err != nil {
		t.Fatal(err)
	}
	if FormatKeys(nil) != "" {
		t.Error("FormatKeys(nil) is not empty")
	}
	for _, id := range []string{"", "a b", "é", strings.Repeat("x", 17)} {
		if _, err := GenerateKey(id); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("GenerateKey(%q): err = %v, want ErrInvalidKey", id, err)
		}
	}
}

func TestKeyStringRedacts(t *testing.T) {
	k := Key{ID: "k1", Secret: []byte("super secret super secret super!")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, arg := range []any{k, []Key{k}} {
			s := fmt.Sprintf(verb, arg)
			if strings.Contains(s, "super") || strings.Contains(s, "115") || !strings.Contains(s, "k1") {
				t.Errorf("Sprintf(%q) = %q", verb, s)
			}
		}
	}
}
