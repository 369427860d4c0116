// Command bench measures partnerlink against references on the same machine, in
// the same run, and prints a table (issue 7 items 1-5). It starts its own
// redis-server on a free loopback port, an in-process SMTP sink (mailsink) that
// both partnerlink and the raw go-mail reference send to, and `partnerlink serve`
// and `partnerlink worker` built from this checkout as separate processes. All
// traffic goes to 127.0.0.1 and the program stops by itself.
//
//	go run ./bench            # full run (a few minutes)
//	go run ./bench -quick     # short run (under 2 minutes)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"
)

type options struct {
	quick          bool
	sends          int
	acceptRate     int
	acceptDuration time.Duration
	maxDuration    time.Duration
	maxWorkers     int
	sweepPending   int
	sweepRuns      int
	memInvitations int
	concurrency    int
	smtpConns      int
	workerNice     int
	workerProcs    int
	workerIdle     bool
	only           string
	keep           bool
	profileDir     string
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "short run: fewer sends, 5 s of accepts, 100,000 pending and 50,000 stored invitations")
	flag.IntVar(&o.sends, "sends", 5000, "invitations sent end to end (item 1)")
	flag.IntVar(&o.acceptRate, "accept-rate", 1000, "accept POSTs per second of the open-loop run (item 2)")
	flag.DurationVar(&o.acceptDuration, "accept-duration", 30*time.Second, "length of the open-loop accept run (item 2)")
	flag.DurationVar(&o.maxDuration, "max-duration", 5*time.Second, "length of the closed-loop maximum-rate accept run (item 2)")
	flag.IntVar(&o.maxWorkers, "max-workers", 32, "concurrent clients of the maximum-rate accept run")
	flag.IntVar(&o.sweepPending, "sweep-pending", 1_000_000, "pending entries of the large sweep (item 3)")
	flag.IntVar(&o.sweepRuns, "sweep-runs", 20, "sweeps per size; the median is reported (item 3)")
	flag.IntVar(&o.memInvitations, "mem-invitations", 1_000_000, "invitations stored for the memory figures (item 5)")
	flag.IntVar(&o.concurrency, "concurrency", 32, "worker --concurrency (0: the worker's default, 10)")
	flag.IntVar(&o.smtpConns, "smtp-conns", 8, "worker --smtp-conns (0: the worker's default, 4)")
	flag.IntVar(&o.workerNice, "worker-nice", 0, "start the worker under nice -n N (lower CPU priority than serve on a shared machine)")
	flag.BoolVar(&o.workerIdle, "worker-idle", false, "start the worker under chrt --idle 0 (SCHED_IDLE: it runs only on CPU time serve and Redis leave)")
	flag.IntVar(&o.workerProcs, "worker-procs", 0, "start the worker with GOMAXPROCS=N (0: Go's default, every CPU)")
	flag.StringVar(&o.only, "only", "", "run only these items, e.g. 1,2 (default all)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (logs of redis, serve and worker)")
	flag.StringVar(&o.profileDir, "profile", "", "write CPU profiles of serve and worker (built with -tags benchpprof) during items 1 and 2 into this directory")
	flag.Parse()
	if o.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("sends", func() { o.sends = 1000 })
		def("accept-duration", func() { o.acceptDuration = 5 * time.Second })
		def("max-duration", func() { o.maxDuration = 3 * time.Second })
		def("sweep-pending", func() { o.sweepPending = 100_000 })
		def("sweep-runs", func() { o.sweepRuns = 5 })
		def("mem-invitations", func() { o.memInvitations = 50_000 })
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "bench: -profile:", err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute) // stops by itself whatever happens
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rows, err := run(ctx, o, log)
	printTable(os.Stdout, rows, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
