package web

import (
	"bytes"
	"io"
	"log/slog"
	"testing"
)

// TestRequestIDHandlerWritesWhatWithWrites: the request logger of observe writes
// the very lines Logger.With("request_id", id) wrote, for the text and JSON
// handlers, plain, with its own With and WithGroup, and on a logger that already
// had attributes and a group.
func TestRequestIDHandlerWritesWhatWithWrites(t *testing.T) {
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	handlers := map[string]func(io.Writer) slog.Handler{
		"text": func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime})
		},
		"json": func(w io.Writer) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime})
		},
	}
	bases := map[string]func(*slog.Logger) *slog.Logger{
		"bare":             func(l *slog.Logger) *slog.Logger { return l },
		"with attrs":       func(l *slog.Logger) *slog.Logger { return l.With("process", "serve") },
		"in a group":       func(l *slog.Logger) *slog.Logger { return l.WithGroup("g").With("k", 1) },
		"empty with group": func(l *slog.Logger) *slog.Logger { return l.WithGroup("g") },
	}
	lines := func(l *slog.Logger) {
		l.Info("plain")
		l.Warn("attrs", "a", 1, "b", "two", slog.Group("grp", "c", 3))
		l.Error("many", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7)
		l.Debug("debug", "x", "y")
		l.With("invitation_id", "in_x").Info("derived", "type", "advisor")
		l.WithGroup("req").Info("grouped", "n", 1)
		l.With().Info("empty with")
	}
	const id = "req-123"
	for hname, newHandler := range handlers {
		for bname, base := range bases {
			var want, got bytes.Buffer
			lines(base(slog.New(newHandler(&want))).With("request_id", id))
			lines(slog.New(&requestIDHandler{base(slog.New(newHandler(&got))).Handler(), id}))
			if got.String() != want.String() {
				t.Errorf("%s handler, %s logger:\ngot:\n%s\nwant (With):\n%s", hname, bname, got.String(), want.String())
			}
		}
	}
}
