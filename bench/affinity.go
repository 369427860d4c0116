package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// pin confines every thread of the run's processes (redis-server, serve,
// worker and bench itself) to the first n CPUs, as if the machine had only
// those; n <= 0 gives them every CPU back. Threads started later inherit the
// confinement from the thread that starts them.
func (e *env) pin(n int) error {
	var set unix.CPUSet
	cpus := runtime.NumCPU()
	if n <= 0 || n > cpus {
		n = cpus
	}
	for c := range n {
		set.Set(c)
	}
	for _, pid := range []int{e.redisCmd.Process.Pid, e.serve.Process.Pid, e.worker.Process.Pid, os.Getpid()} {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return fmt.Errorf("threads of process %d: %w", pid, err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			// A thread that ended since the listing is no loss.
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("pin thread %d of process %d to %d CPUs: %w", tid, pid, n, err)
			}
		}
	}
	return nil
}
