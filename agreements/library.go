package agreements

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrNotFound is returned for a version or locale the library does not hold.
var ErrNotFound = errors.New("agreements: no such agreement")

// ErrInvalid is returned for a folder that holds no usable agreement or a malformed file.
var ErrInvalid = errors.New("agreements: invalid agreement folder")

// DefaultLocale is shown when a version has no text in the requested locale.
const DefaultLocale = "en"

// maxSize bounds one agreement file.
const maxSize = 1 << 20

// Document is one version of the agreement in one locale.
type Document struct {
	Version string
	Locale  string
	Title   string // the first non-empty line
	Text    string // the exact text shown
	SHA256  string // lowercase hex SHA-256 of Text
}

// Library holds every version and locale found in a folder.
type Library struct {
	docs     map[string]map[string]Document // version → locale → doc
	versions []string                       // oldest first
}

//go:embed sample/*.txt
var sample embed.FS

// Sample returns the library of the sample agreement shipped with partnerlink.
func Sample() *Library {
	sub, err := fs.Sub(sample, "sample")
	if err != nil {
		panic(err) // embedded at build time
	}
	lib, err := Load(sub)
	if err != nil {
		panic(err) // tested
	}
	return lib
}

var nameRE = regexp.MustCompile(`^([0-9A-Za-z][0-9A-Za-z._-]{0,63})\.([a-z]{2})\.txt$`)

// Load reads every <version>.<locale>.txt file at the top of fsys. Other files are
// ignored; a folder without any agreement, an empty file, a file that is not UTF-8
// or one over 1 MiB is an error naming the file.
func Load(fsys fs.FS) (*Library, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	lib := &Library{docs: map[string]map[string]Document{}}
	for _, e := range entries {
		m := nameRE.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		doc, err := readDoc(fsys, e.Name(), m[1], m[2])
		if err != nil {
			return nil, err
		}
		if lib.docs[doc.Version] == nil {
			lib.docs[doc.Version] = map[string]Document{}
			lib.versions = append(lib.versions, doc.Version)
		}
		lib.docs[doc.Version][doc.Locale] = doc
	}
	if len(lib.versions) == 0 {
		return nil, fmt.Errorf("%w: no file named <version>.<locale>.txt (for example 2026-01.en.txt)", ErrInvalid)
	}
	slices.SortFunc(lib.versions, compareVersions)
	return lib, nil
}

func readDoc(fsys fs.FS, name, version, locale string) (Document, error) {
	b, err := fs.ReadFile(fsys, name)
	switch {
	case err != nil:
		return Document{}, fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
	case len(b) > maxSize:
		return Document{}, fmt.Errorf("%w: %s is larger than 1 MiB", ErrInvalid, name)
	case len(strings.TrimSpace(string(b))) == 0:
		return Document{}, fmt.Errorf("%w: %s is empty", ErrInvalid, name)
	case !utf8.Valid(b):
		return Document{}, fmt.Errorf("%w: %s is not UTF-8 text", ErrInvalid, name)
	}
	sum := sha256.Sum256(b)
	return Document{
		Version: version,
		Locale:  locale,
		Title:   firstLine(string(b)),
		Text:    string(b),
		SHA256:  hex.EncodeToString(sum[:]),
	}, nil
}

// Latest returns the newest version in locale, or in DefaultLocale when the newest
// version has no text in locale.
func (l *Library) Latest(locale string) Document {
	v := l.versions[len(l.versions)-1]
	if d, ok := l.docs[v][locale]; ok {
		return d
	}
	if d, ok := l.docs[v][DefaultLocale]; ok {
		return d
	}
	for _, loc := range slices.Sorted(maps.Keys(l.docs[v])) {
		return l.docs[v][loc]
	}
	panic("agreements: version without documents") // Load never builds one
}

// Get returns one version in one locale.
func (l *Library) Get(version, locale string) (Document, error) {
	d, ok := l.docs[version][locale]
	if !ok {
		return Document{}, fmt.Errorf("%w: version %q in locale %q", ErrNotFound, version, locale)
	}
	return d, nil
}

// Versions lists the versions held, oldest first.
func (l *Library) Versions() []string { return slices.Clone(l.versions) }

func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// compareVersions orders versions naturally: runs of digits compare as numbers, so
// 2026-2 < 2026-10 and v9 < v10.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		ra, restA := nextRun(a)
		rb, restB := nextRun(b)
		if c := compareRun(ra, rb); c != 0 {
			return c
		}
		a, b = restA, restB
	}
	return len(a) - len(b)
}

func nextRun(s string) (string, string) {
	digit := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digit {
		i++
	}
	return s[:i], s[i:]
}

func compareRun(a, b string) int {
	if isDigit(a[0]) && isDigit(b[0]) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
