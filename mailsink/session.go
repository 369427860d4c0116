package mailsink

import (
	"fmt"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// backend starts one session per SMTP connection.
type backend struct{ sink *Sink }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{sink: b.sink}, nil
}

// session is one SMTP connection's transaction state. go-smtp calls its methods
// from the connection's goroutine only.
type session struct {
	sink *Sink
	from string
	to   []string
}

// AuthMechanisms offers PLAIN; any credentials are accepted.
func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error { return nil }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.sink.failure(to); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.sink.countOnly {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return fmt.Errorf("mailsink: read data: %w", err)
		}
		s.sink.count()
		return nil
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("mailsink: read data: %w", err)
	}
	s.sink.add(s.from, s.to, raw)
	return nil
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error { return nil }
