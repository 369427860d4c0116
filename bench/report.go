package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"
)

// row is one line of the table.
type row struct {
	figure, got, ref, ratio, target, met string
}

func metStr(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func want(o options, item string) bool {
	if o.only == "" {
		return true
	}
	for x := range strings.SplitSeq(o.only, ",") {
		if strings.TrimSpace(x) == item {
			return true
		}
	}
	return false
}

func run(ctx context.Context, o options, log *slog.Logger) (rows []row, err error) {
	if want(o, "4") {
		log.Info("item 4: tokens")
		rows = append(rows, benchTokens()...)
	}
	e, err := newEnv(ctx, o, log)
	defer func() {
		if e != nil {
			e.close()
		}
	}()
	if err != nil {
		return rows, err
	}
	if want(o, "3") {
		log.Info("item 3: sweep", "pending", o.sweepPending)
		r, err := benchSweep(ctx, e)
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("sweep: %w", err)
		}
	}
	if !want(o, "1") && !want(o, "2") && !want(o, "5") {
		return rows, nil
	}
	log.Info("building partnerlink and starting serve and worker")
	if err := e.build(ctx); err != nil {
		return rows, err
	}
	if err := e.startProcesses(ctx); err != nil {
		return rows, err
	}
	if want(o, "1") {
		log.Info("item 1: send throughput", "invitations", o.sends)
		r, err := benchSend(ctx, e)
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("send: %w", err)
		}
	}
	if want(o, "2") {
		log.Info("item 2: accept", "rate", o.acceptRate, "duration", o.acceptDuration)
		r, err := benchAccept(ctx, e)
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("accept: %w", err)
		}
	}
	if want(o, "5") {
		log.Info("item 5: memory", "invitations", o.memInvitations)
		r, err := benchMemory(ctx, e)
		rows = append(rows, r...)
		if err != nil {
			return rows, fmt.Errorf("memory: %w", err)
		}
	}
	return rows, nil
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/1048576)
		}
	}
	return fmt.Sprintf("%d cores (%s)%s, %s, %s", runtime.NumCPU(), cpu, mem, runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 MST"))
}

func printTable(w io.Writer, rows []row, o options) {
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	if o.workerNice != 0 {
		mode += fmt.Sprintf(", worker under nice -n %d", o.workerNice)
	}
	if o.workerIdle {
		mode += ", worker under chrt --idle 0"
	}
	if o.workerProcs > 0 {
		mode += fmt.Sprintf(", worker GOMAXPROCS=%d", o.workerProcs)
	}
	fmt.Fprintf(w, "\nmachine: %s; %s run\n\n", machine(), mode)
	fmt.Fprintln(w, "| figure | partnerlink | reference (same run) | ratio | target | met? |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.figure, r.got, r.ref, r.ratio, r.target, r.met)
	}
}

// commas formats n with thousands separators.
func commas(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
