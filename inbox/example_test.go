package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/inbox"
)

func ExampleParseURL() {
	cfg, err := inbox.ParseURL("imaps://partnerlink%40example.com:secret@mail.example.com?rejected=Junk")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Addr, cfg.TLS, cfg.Username, cfg.Mailbox, cfg.ProcessedFolder, cfg.RejectedFolder)

	_, err = inbox.ParseURL("imap://bot:secret@mail.example.com?tls=none")
	fmt.Println(err)
	// Output:
	// mail.example.com:993 tls partnerlink@example.com INBOX Processed Junk
	// inbox: tls=none sends the password in clear: allowed only to a loopback host, not "mail.example.com"
}

func ExampleWatcher_Run() {
	cfg, err := inbox.ParseURL(os.Getenv("PARTNERLINK_IMAP_URL"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()

	// The handler decides; the key makes its effects idempotent, since a crash
	// before the outcome is recorded hands the same message over again.
	h := inbox.HandlerFunc(func(ctx context.Context, key string, m *inbox.Message) (inbox.Decision, error) {
		if len(m.Raw) == 0 {
			return inbox.Decision{Folder: inbox.Rejected, Reason: "empty message"}, nil
		}
		// ... act on the message, once per key ...
		return inbox.Decision{Folder: inbox.Processed}, nil
	})
	w, err := inbox.NewWatcher(cfg, rdb, h, slog.Default())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := w.Run(ctx); err != nil { // returns nil when ctx ends
		fmt.Fprintln(os.Stderr, err)
	}
}
