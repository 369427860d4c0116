package requests

import (
	"errors"
	"fmt"
)

// Errors Parse and Inspect return; branch on them with errors.Is.
var (
	// ErrNotARequest: the message is not a request (subject, automatic reply).
	// It is not answered.
	ErrNotARequest = errors.New("requests: not a request")
	// ErrUnreadable: the message could not be read (malformed, too large, too
	// many parts, nested too deep).
	ErrUnreadable = errors.New("requests: unreadable message")
	// ErrBadFrom: the From header is missing, not exactly one address, or has a
	// display name that looks like an address.
	ErrBadFrom = errors.New("requests: unusable From address")
)

// LineError is one request that could not be used.
type LineError struct {
	File string // name of the CSV attachment; empty for the body
	Line int    // line of the body or row of the CSV file (the header is row 1); 0: the whole file or message
	// Text says where and what is wrong, ready for the reply:
	// `line 7: type "boss" is not one of …` or `invites.csv row 3: …`.
	Text string
	// Email is the row's customer address as written, when ReadCSV knows it.
	Email string
}

// Error returns Text.
func (e LineError) Error() string { return e.Text }

// lineError builds a LineError, prefixing what with the position.
func lineError(file string, line int, what string) LineError {
	var text string
	switch {
	case file != "" && line > 0:
		text = fmt.Sprintf("%s row %d: %s", file, line, what)
	case file != "":
		text = file + ": " + what
	case line > 0:
		text = fmt.Sprintf("line %d: %s", line, what)
	default:
		text = what
	}
	return LineError{File: file, Line: line, Text: text}
}
