package inbox

import "context"

// MaxMessageBytes is the largest message the Watcher loads. A larger one is
// rejected as "too large" from the size the server reports, without fetching it.
const MaxMessageBytes = 10 << 20

// Decision folders: where a handled message goes. The Watcher maps them to the
// configured folder names ([Config.ProcessedFolder], [Config.RejectedFolder]).
const (
	Processed = "processed"
	Rejected  = "rejected"
)

// Message is one mail as fetched.
type Message struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Raw         []byte // the full RFC 5322 message (at most MaxMessageBytes)
	Size        int64  // as the server reports it (RFC822.SIZE)
}

// Decision is where a handled message goes.
type Decision struct {
	Folder string // Processed or Rejected
	Reason string // recorded (in Redis) for Rejected
}

// Handler acts on one message.
//
// key is stable for the message ("<account>/<mailbox>/<uidvalidity>/<uid>"):
// handlers use it to make their effects idempotent, because a crash after Handle
// but before the Watcher records the outcome makes the Watcher call Handle again
// with the same key.
//
// A returned error means "temporary, try again later": the message stays in the
// mailbox and is retried on the next pass. A message that can never be handled is
// Rejected with a reason, not an error.
type Handler interface {
	Handle(ctx context.Context, key string, m *Message) (Decision, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, key string, m *Message) (Decision, error)

// Handle calls f(ctx, key, m).
func (f HandlerFunc) Handle(ctx context.Context, key string, m *Message) (Decision, error) {
	return f(ctx, key, m)
}

// Stats counts what one pass over the mailbox did. A message handled by an earlier
// pass that crashed before moving it counts where it is moved now.
type Stats struct {
	Seen      int // messages found in the mailbox
	Processed int // moved to the Processed folder
	Rejected  int // moved to the Rejected folder
	Retried   int // left in the mailbox for the next pass (the handler returned an error)
}

func (s *Stats) add(o Stats) {
	s.Seen += o.Seen
	s.Processed += o.Processed
	s.Rejected += o.Rejected
	s.Retried += o.Retried
}
