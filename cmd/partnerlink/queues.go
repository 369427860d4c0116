package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hibiken/asynq"
)

func runQueues(ctx context.Context, args []string, stdout, _ io.Writer) error {
	f := newFlags("queues", "Prints the depth, retries and failures of every task queue, and the newest failed tasks.", stdout, "redis-url")
	failed := f.fs.Int("failed", 5, "list up to `N` of each queue's failed (archived) tasks with their last error; 0 lists none")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	if *failed < 0 {
		return configErrorf("--failed %d: must be 0 or more", *failed)
	}
	rdb, connOpt, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	rdb.Close()
	insp := asynq.NewInspector(connOpt)
	defer insp.Close()
	return printQueues(insp, *failed, stdout)
}

// printQueues writes one line per queue, then up to failed archived tasks of each.
func printQueues(insp *asynq.Inspector, failed int, w io.Writer) error {
	names, err := insp.Queues()
	if err != nil {
		return fmt.Errorf("list queues: %w", err)
	}
	if len(names) == 0 {
		_, err := fmt.Fprintln(w, "no queues yet: nothing was ever enqueued on this Redis")
		return err
	}
	infos := make([]*asynq.QueueInfo, 0, len(names))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUE\tPENDING\tACTIVE\tSCHEDULED\tRETRY\tFAILED\tDONE TODAY\tFAILED TODAY\tOLDEST WAITING\tPAUSED")
	for _, q := range names {
		qi, err := insp.GetQueueInfo(q)
		if err != nil {
			return fmt.Errorf("queue %s: %w", q, err)
		}
		infos = append(infos, qi)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%t\n", qi.Queue, qi.Pending, qi.Active, qi.Scheduled,
			qi.Retry, qi.Archived, qi.Processed, qi.Failed, qi.Latency.Round(time.Millisecond), qi.Paused)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, qi := range infos {
		if failed == 0 || qi.Archived == 0 {
			continue
		}
		tasks, err := insp.ListArchivedTasks(qi.Queue, asynq.PageSize(failed))
		if err != nil {
			return fmt.Errorf("queue %s: failed tasks: %w", qi.Queue, err)
		}
		fmt.Fprintf(w, "\nfailed tasks in %s (newest %d of %d):\n", qi.Queue, len(tasks), qi.Archived)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tID\tFAILED AT\tLAST ERROR")
		for _, t := range tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Type, t.ID, t.LastFailedAt.UTC().Format(time.RFC3339), oneLine(t.LastErr, 160))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// oneLine keeps an error message on one line of at most n bytes.
func oneLine(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\n' || c == '\r' || c == '\t' {
			b[i] = ' '
		}
	}
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
