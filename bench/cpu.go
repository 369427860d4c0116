package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTick is the kernel's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat; 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// cpuTime is a process's user + system CPU time so far (/proc/<pid>/stat
// fields 14 and 15). pid 0 is this process.
func cpuTime(pid int) (time.Duration, error) {
	path := "/proc/self/stat"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it follow its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no ')'", path)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: %d fields", path, len(f))
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// cpuMeter measures the CPU time the run's processes spend between start and
// per: redis-server, serve, worker, and bench itself (load generator and SMTP sink).
type cpuMeter struct {
	e     *env
	names []string
	pids  []int
	start []time.Duration
}

func (e *env) cpuMeter() *cpuMeter {
	m := &cpuMeter{e: e, names: []string{"redis", "serve", "worker", "bench"}}
	ctx := context.Background()
	_ = e.rdb.ConfigResetStat(ctx).Err() // for commandstats
	if e.o.profileDir != "" {
		// Every command in the slow log, for the cost of each script; this
		// costs Redis time of its own, so only when profiling.
		_ = e.rdb.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err()
		_ = e.rdb.ConfigSet(ctx, "slowlog-max-len", "100000").Err()
		_ = e.rdb.SlowLogReset(ctx).Err()
	}
	for _, c := range []*exec.Cmd{e.redisCmd, e.serve, e.worker} {
		pid := -1 // not running: left out
		if c != nil && c.Process != nil {
			pid = c.Process.Pid
		}
		m.pids = append(m.pids, pid)
	}
	m.pids = append(m.pids, 0)
	for _, p := range m.pids {
		t, _ := cpuTime(p)
		m.start = append(m.start, t)
	}
	return m
}

// cpuUse is the CPU time per unit of work of each process and in all.
type cpuUse struct {
	parts []string // "redis 120", "serve 300", …
	total time.Duration
}

func (u cpuUse) String() string {
	if len(u.parts) == 0 {
		return ""
	}
	return fmt.Sprintf("CPU µs each: %s; total %d", strings.Join(u.parts, ", "), u.total.Microseconds())
}

// per is the CPU time per unit of work since the meter started, for n units.
func (m *cpuMeter) per(n int) cpuUse {
	if n <= 0 {
		return cpuUse{}
	}
	parts := make([]string, 0, len(m.pids)+1)
	var total time.Duration
	for i, p := range m.pids {
		t, err := cpuTime(p)
		if err != nil {
			continue
		}
		d := (t - m.start[i]) / time.Duration(n)
		total += d
		parts = append(parts, fmt.Sprintf("%s %d", m.names[i], d.Microseconds()))
	}
	m.logCommandStats(n)
	return cpuUse{parts: parts, total: total}
}

// logCommandStats logs Redis's busiest commands since the meter started, per
// unit of work: calls and µs of redis-server time.
func (m *cpuMeter) logCommandStats(n int) {
	info, err := m.e.rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return
	}
	type stat struct {
		name  string
		calls int64
		usec  int64
	}
	var stats []stat
	for line := range strings.SplitSeq(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		st := stat{name: name}
		for kv := range strings.SplitSeq(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "calls":
				st.calls, _ = strconv.ParseInt(v, 10, 64)
			case "usec":
				st.usec, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		stats = append(stats, st)
	}
	slices.SortFunc(stats, func(a, b stat) int { return int(b.usec - a.usec) })
	var parts []string
	for _, st := range stats[:min(len(stats), 12)] {
		parts = append(parts, fmt.Sprintf("%s %.1f calls %.1f µs", st.name, float64(st.calls)/float64(n), float64(st.usec)/float64(n)))
	}
	m.e.log.Info("redis commands per unit", "n", n, "top", strings.Join(parts, "; "))
	if m.e.o.profileDir == "" {
		return
	}
	// Scripts by their first key: which script costs what.
	logs, err := m.e.rdb.SlowLogGet(context.Background(), 100000).Result()
	if err != nil {
		return
	}
	byScript := map[string]*stat{}
	for _, l := range logs {
		if len(l.Args) < 4 || !strings.HasPrefix(strings.ToLower(l.Args[0]), "eval") {
			continue
		}
		name := scriptFamily(l.Args[3])
		if len(l.Args[1]) >= 8 {
			name = l.Args[1][:8] + " " + name
		}
		st := byScript[name]
		if st == nil {
			st = &stat{name: name}
			byScript[name] = st
		}
		st.calls++
		st.usec += l.Duration.Microseconds()
	}
	stats = stats[:0]
	for _, st := range byScript {
		stats = append(stats, *st)
	}
	slices.SortFunc(stats, func(a, b stat) int { return int(b.usec - a.usec) })
	parts = parts[:0]
	for _, st := range stats[:min(len(stats), 12)] {
		parts = append(parts, fmt.Sprintf("%s %d calls %.1f µs each", st.name, st.calls, float64(st.usec)/float64(st.calls)))
	}
	m.e.log.Info("redis scripts", "slowlog entries", len(logs), "top", strings.Join(parts, "; "))
	_ = m.e.rdb.ConfigSet(context.Background(), "slowlog-log-slower-than", "10000").Err()
}

// scriptFamily is a script's first key with its ids cut out, so that the calls
// of one script on different records count together: "pl:{…}:inv:…".
func scriptFamily(key string) string {
	parts := strings.Split(key, ":")
	for i, p := range parts {
		if strings.ContainsAny(p, "_0123456789") && len(p) > 8 {
			parts[i] = "…"
		}
		if strings.HasPrefix(p, "{") && p != "{mail}" && p != "{schedule}" && p != "{portal}" && p != "{partners}" {
			parts[i] = "{…}"
		}
	}
	return strings.Join(parts, ":")
}
