#!/usr/bin/env bash
# Measures partnerlink against references on this machine, in the same run, and
# prints a table (go run ./bench: send throughput, accept latency, sweep cost,
# tokens, memory). Traffic goes to 127.0.0.1 only; everything stops by itself.
#   scripts/bench.sh                 # the full run (several minutes)
#   scripts/bench.sh -quick          # under 2 minutes; any ./bench flag works (-h lists them)
#   scripts/bench.sh --go-bench      # also the package micro-benchmarks (BENCHTIME=5s to change)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_tools redis-server # brings redis-benchmark (redis-tools)

gobench=false
args=()
for a in "$@"; do
	if [ "$a" = --go-bench ]; then gobench=true; else args+=("$a"); fi
done
go run ./bench "${args[@]}"
$gobench || exit 0
need_tools dovecot

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
