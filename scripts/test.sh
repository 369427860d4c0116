#!/usr/bin/env bash
# Runs partnerlink's whole test suite with the race detector: vet, gofmt, then every
# package against real redis-server, SMTP, Dovecot and Chromium. Installs
# redis-server, chromium and dovecot-imapd when missing. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_tools redis-server chromium dovecot spamassassin

echo "scripts/test.sh: go vet ./..." >&2
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "scripts/test.sh: gofmt would change: $unformatted" >&2
	exit 1
fi
echo "scripts/test.sh: go test -race ./..." >&2
go test -race -count=1 -timeout 8m "$@" ./...

# Attacks (issue 6 item 9): each fuzz target briefly; scripts/fuzz.sh runs them longer.
for t in "./tokens FuzzVerify" "./requests FuzzParse" "./bounces FuzzDSN" "./web FuzzAPIDecode"; do
	read -r pkg name <<<"$t"
	echo "scripts/test.sh: fuzz $pkg $name for 5s" >&2
	go test -run '^$' -fuzz "^${name}\$" -fuzztime 5s "$pkg"
done
