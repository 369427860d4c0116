#!/usr/bin/env bash
# Measures partnerlink against what its parts allow, on this machine, and prints a
# table. Traffic goes to 127.0.0.1 only; every benchmark stops by itself.
#   scripts/bench.sh            # all
#   BENCHTIME=5s scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_tools redis-server dovecot

benchtime=${BENCHTIME:-2s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() { # package, benchmark regexp, benchtime
	go test -run '^$' -bench "$2" -benchtime "$3" -benchmem "$1" | tee -a "$out" >&2
}

run ./tokens/ 'BenchmarkIssueVerify$|BenchmarkIssue$|BenchmarkVerify$|BenchmarkHMACBaseline$' "$benchtime"
run ./mailer/ 'BenchmarkSend$|BenchmarkRawGoMailWithoutNoop$' "$benchtime"
run ./partnerships/ 'BenchmarkCreateInvitation$|BenchmarkAccept$' "$benchtime"
run ./jobs/ 'BenchmarkSendInvitation$' "$benchtime"
run ./cmd/partnerlink/ 'BenchmarkDevInvitations$' 2000x
run ./ratelimit/ 'BenchmarkAllow$' "$benchtime"
run ./e2e/ 'BenchmarkIngestFromDovecot$' 1x

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3-), $(redis-server --version | cut -d' ' -f3)"
printf '%-44s %14s %22s %10s\n' benchmark ns/op rate B/op
awk '/^Benchmark/ {
	name=$1; ns=""; extra=""; bop="";
	for (i = 3; i <= NF; i++) {
		if ($(i) == "ns/op") ns=$(i-1);
		else if ($(i) == "B/op") bop=$(i-1);
		else if ($(i) ~ /\/s$/ && extra == "") extra=$(i-1) " " $(i);
	}
	printf "%-44s %14s %22s %10s\n", name, ns, extra, bop
}' "$out"
