//go:build benchpprof

package main

// Built only with -tags benchpprof (go run ./bench -profile DIR does): serves
// net/http/pprof on $PARTNERLINK_BENCH_PPROF (a loopback address) so the benchmark
// can profile serve and worker while it loads them. Never in a normal build.

import (
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("PARTNERLINK_BENCH_PPROF")
	if addr == "" {
		return
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		return
	}
	go func() { _ = http.ListenAndServe(addr, nil) }()
}
