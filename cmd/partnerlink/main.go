// Command partnerlink runs partner invitations by email: the HTTP server, the
// worker that sends mail, and the operator's commands. `partnerlink dev` runs
// everything in one process on embedded defaults.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"dev":       {"run everything in one process: embedded Redis, SMTP sink with a mail page, demo data", runDev},
	"serve":     {"serve the partner API and the customer pages", runServe},
	"inbox":     {"read partner requests and bounces from the mailbox over IMAP", runInbox},
	"dev-mail":  {"drop a message into the inbox of a running dev (a partner request or a bounce)", runDevMail},
	"worker":    {"send invitation emails from the queue", runWorker},
	"partners":  {"manage partners: partners add --name N --email E", runPartners},
	"customers": {"manage customers: customers add …, customers add-user …, customers list", runCustomers},
	"preview":   {"render an email template: preview --kind invitation --type T --locale L", runPreview},
	"keys":      {"generate a token signing key: keys generate [--id ID], or a DKIM key: keys dkim --type rsa|ed25519", runKeys},
	"health":    {"ask a running server whether it is healthy (for container health checks)", runHealth},
	"queues":    {"print the depth, retries and failures of every task queue", runQueues},
	// Scheduler (sched).
	"scheduler": {"queue due reminders, invitation expiries and time-bound relationship notices and ends", runScheduler},
	// Deliverability (deliver).
	"dns":          {"print the DNS records to publish: DKIM keys, SPF and DMARC suggestions", runDNS},
	"suppressions": {"list or lift suppressed addresses: suppressions list, suppressions lift <email>", runSuppressions},
	// CLI fit and finish (cli).
	"invite": {"invite customers for a partner: invite --partner P --email E --type T, or --csv FILE for many", runInvite},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "partnerlink: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(*configError)):
		fmt.Fprintf(stderr, "partnerlink %s: %v\n", args[0], err)
		return 2
	case errors.As(err, new(*refusedError)): // CLI fit and finish (cli)
		fmt.Fprintf(stderr, "partnerlink %s: %v\n", args[0], err)
		return 3
	default:
		fmt.Fprintf(stderr, "partnerlink %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "partnerlink — partner invitations by email")
	fmt.Fprintln(w, "\nUsage: partnerlink <command> [flags]   (partnerlink <command> --help lists its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s %s\n", width, n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nA setting can also come from the PARTNERLINK_* environment variable named next to its flag in\n--help; a flag wins over the variable.")
	// CLI fit and finish (cli).
	fmt.Fprintln(w, `
Exit codes:
  0  success
  1  runtime error: Redis or another service unreachable, a failed write
  2  usage or configuration error: unknown command or flag, missing or bad setting,
     unreadable input file; nothing was done
  3  refused: the invitation was refused (unknown customer, already related,
     suppressed…), or some rows of invite --csv were (the others were invited)`)
}
