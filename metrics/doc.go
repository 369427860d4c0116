// Package metrics holds partnerlink's Prometheus collectors and the small hooks
// the other packages call to feed them: HTTP requests (web), sends and their
// latency (jobs), invitation transitions (web, jobs, mailroom), inbox lag
// (mailroom), and collectors read at scrape time for the task queues and the
// send pace.
//
// Nothing is registered globally: New takes a prometheus.Registerer, so each
// process (and each test) has its own registry. Every hook method is safe on a
// nil *Metrics, which records nothing, so a package wired without metrics needs
// no special case.
//
// Invitations by status are counters of transitions this process made
// (partnerlink_invitations_total{status}), not counts read from Redis: counting
// the stored invitations would mean scanning them at every scrape or keeping a
// count per status in every Lua script. Sum the counters over processes with
// sum by (status) (rate(...)) or increase(...) for "how many were accepted
// today"; a restart resets a process's counters, which Prometheus's rate and
// increase handle.
package metrics
