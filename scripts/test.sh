#!/usr/bin/env bash
# Runs partnerlink's whole test suite with the race detector. Installs what the tests
# need when it is missing (redis-server, chromium) with apt-get on Debian/Ubuntu, and
# says what to install elsewhere. Extra arguments go to `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
	if ! have apt-get; then
		echo "scripts/test.sh: the tests need: $*" >&2
		echo "  install them with your package manager (macOS: brew install redis chromium), then run this again" >&2
		exit 1
	fi
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	echo "scripts/test.sh: installing $* (apt-get)" >&2
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
have redis-server || missing+=(redis-server)
have chromium || have chromium-browser || have google-chrome || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

if ! have go; then
	echo "scripts/test.sh: Go 1.26 or newer is required (https://go.dev/doc/install)" >&2
	exit 1
fi

echo "scripts/test.sh: go vet ./..." >&2
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "scripts/test.sh: gofmt would change: $unformatted" >&2
	exit 1
fi
echo "scripts/test.sh: go test -race ./..." >&2
go test -race -count=1 -timeout 8m "$@" ./...
