package mailsink

import (
	"fmt"
	"log/slog"
	"strings"
)

// logAdapter routes go-smtp's error log to a *slog.Logger.
type logAdapter struct{ log *slog.Logger }

func (a logAdapter) Printf(format string, v ...any) {
	a.log.Warn("mailsink: smtp: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (a logAdapter) Println(v ...any) {
	a.log.Warn("mailsink: smtp: " + strings.TrimSpace(fmt.Sprintln(v...)))
}
