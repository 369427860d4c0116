package mailer

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Errors callers branch on with errors.Is. Every error Send returns matches
// exactly one of ErrTemporary (retry later) and ErrPermanent (don't).
var (
	ErrTemporary      = errors.New("mailer: temporary failure")
	ErrPermanent      = errors.New("mailer: permanent failure")
	ErrInvalidMessage = errors.New("mailer: invalid message") // permanent
	ErrClosed         = errors.New("mailer: closed")          // temporary: another process may send it
)

// SendError is a failure to hand a message to the SMTP server. 4xx replies and
// failures to connect, greet, STARTTLS, authenticate, or keep the connection are
// temporary; 5xx replies to the message transaction (MAIL FROM, RCPT TO, DATA)
// are permanent.
type SendError struct {
	Code      int    // SMTP reply code, 0 if the server did not answer
	Enhanced  string // RFC 3463 enhanced status code such as "5.1.1", if sent
	Reply     string // the server's reply text after the code, if any
	Temporary bool
	Err       error
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("mailer: %s failure: %v", kind, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTemporary) and errors.Is(err, ErrPermanent) follow
// Temporary.
func (e *SendError) Is(target error) bool {
	switch target {
	case ErrTemporary:
		return e.Temporary
	case ErrPermanent:
		return !e.Temporary
	}
	return false
}

// invalidError is a message Send refuses to build; it matches ErrInvalidMessage
// and ErrPermanent.
type invalidError struct{ msg string }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

func (e *invalidError) Error() string { return "mailer: invalid message: " + e.msg }

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalidMessage || target == ErrPermanent
}

// classifySend turns what go-mail's SendWithSMTPClient returned into a
// *SendError. go-mail reports the reply code of the failed command in its own
// *gomail.SendError (ErrorCode, EnhancedStatusCode) but does not unwrap to the
// textproto error, so the reply text is cut from its message.
func classifySend(err error) *SendError {
	var gse *gomail.SendError
	if !errors.As(err, &gse) {
		return classifyConn(err)
	}
	se := &SendError{Code: gse.ErrorCode(), Enhanced: gse.EnhancedStatusCode(), Err: err}
	se.Reply = replyText(gse.Error(), se.Code)
	switch {
	case se.Code >= 500:
		se.Temporary = false
	case se.Code >= 400:
		se.Temporary = true
	default: // no reply from the server: the connection failed, or go-mail refused the message
		switch gse.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			se.Temporary = false
		default:
			se.Temporary = true
		}
	}
	if se.Enhanced == "" {
		se.Enhanced = enhancedCode(se.Reply)
	}
	return se
}

// classifyConn classifies failures outside the message transaction: dialing,
// greeting, STARTTLS, AUTH, a dropped connection, a cancelled context. They are
// about the connection or the configuration, not the message, so they are
// temporary even when the server answered 5xx (a wrong password, say).
func classifyConn(err error) *SendError {
	se := &SendError{Temporary: true, Err: err}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		se.Code, se.Reply = tpe.Code, tpe.Msg
		se.Enhanced = enhancedCode(tpe.Msg)
	}
	return se
}

// staleConnection reports whether err happened before the server could have accepted the
// message (connection check or MAIL FROM) with no reply or a 421 "closing"
// reply: on a reused connection that usually means the server dropped it while
// idle, and sending again on a new connection is safe.
func staleConnection(err error) bool {
	var gse *gomail.SendError
	if !errors.As(err, &gse) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if gse.Reason != gomail.ErrConnCheck && gse.Reason != gomail.ErrSMTPMailFrom {
		return false
	}
	return gse.ErrorCode() == 0 || gse.ErrorCode() == 421
}

var enhancedPattern = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// enhancedCode returns the RFC 3463 code a reply text starts with, if any.
func enhancedCode(reply string) string {
	return enhancedPattern.FindString(reply)
}

// replyText cuts the server's reply after "<code> " out of go-mail's error
// message, up to go-mail's ", affected …" suffixes.
func replyText(msg string, code int) string {
	if code == 0 {
		return ""
	}
	prefix := strconv.Itoa(code) + " "
	i := strings.Index(msg, prefix)
	if i < 0 {
		return ""
	}
	reply := msg[i+len(prefix):]
	for _, suffix := range []string{", affected recipient(s): ", ", affected message ID: "} {
		if j := strings.Index(reply, suffix); j >= 0 {
			reply = reply[:j]
		}
	}
	return reply
}
