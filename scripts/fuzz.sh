#!/usr/bin/env bash
# Runs each of partnerlink's fuzz targets for a while (default 5m each) and prints,
# per target, how long it ran, how many inputs it tried and what it found. A crasher
# is written by go test to <package>/testdata/fuzz/<Target>/ — commit it: it then
# runs as a regression seed in every `go test`. Usage: scripts/fuzz.sh [duration]
set -uo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5m}

# package target — every fuzz target worth running long.
targets=(
	"./tokens FuzzVerify"
	"./tokens FuzzRoundTrip"
	"./requests FuzzParse"
	"./requests FuzzInspect"
	"./bounces FuzzParse"
	"./bounces FuzzDSN"
	"./bounces FuzzARF"
	"./web FuzzAPIDecode"
)

log=$(mktemp -d)
summary=()
failed=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	out="$log/${pkg//\//_}-$name.log"
	echo "scripts/fuzz.sh: $pkg $name for $duration" >&2
	start=$(date +%s)
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$duration" "$pkg" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	# The last progress line: "fuzz: elapsed: 2m0s, execs: 123456 (1028/sec), new interesting: 12 (total: 40)".
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$out" | tail -1)
	execs=$(sed -E 's/.*execs: ([0-9]+).*/\1/' <<<"$last")
	interesting=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
	if [ "$rc" -eq 0 ]; then
		found="nothing"
	else
		failed=1
		crasher=$(grep -oE 'testdata/fuzz/[^ ]+' "$out" | head -1)
		found="FAILURE${crasher:+ (crasher $pkg/$crasher)}; see $out"
		tail -30 "$out" >&2
	fi
	summary+=("$(printf '%-12s %-16s ran %4ss  execs %-12s new interesting %-5s found: %s' "$pkg" "$name" "$secs" "${execs:-?}" "${interesting:-?}" "$found")")
done
echo
echo "scripts/fuzz.sh: results ($duration each):"
printf '%s\n' "${summary[@]}"
exit $failed
