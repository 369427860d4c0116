package main

import (
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// parseSchedule validates the scheduler's settings (sched) when the command uses them.
func (f *flags) parseSchedule() error {
	if f.usedAs["reminders"] {
		r, err := partnerships.ParseReminders(f.reminders)
		if err != nil {
			return configErrorf("--reminders (PARTNERLINK_REMINDERS) %q: must be a comma list of up to 10 durations of at most 2160h, e.g. 168h,72h,24h, or none", f.reminders)
		}
		f.cfg.Reminders = r
	}
	if f.usedAs["sweep-interval"] {
		d, err := time.ParseDuration(f.sweep)
		if err != nil || d < time.Second || d > 24*time.Hour {
			return configErrorf("--sweep-interval (PARTNERLINK_SWEEP_INTERVAL) %q: must be a duration between 1s and 24h, e.g. 1m", f.sweep)
		}
		f.cfg.SweepInterval = d
	}
	return nil
}
