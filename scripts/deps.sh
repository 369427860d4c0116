# Sourced by scripts/test.sh and scripts/bench.sh: installs what the tests need when it
# is missing (apt-get on Debian/Ubuntu), and says what to install elsewhere.
# Usage: need_tools redis-server [chromium]

have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
	if ! have apt-get; then
		echo "partnerlink: these are needed and missing: $*" >&2
		echo "  install them with your package manager (macOS: brew install redis chromium), then run this again" >&2
		exit 1
	fi
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	echo "partnerlink: installing $* (apt-get)" >&2
	$sudo apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_tools() {
	local missing=() tool
	for tool in "$@"; do
		case "$tool" in
		chromium) have chromium || have chromium-browser || have google-chrome || missing+=(chromium) ;;
		dovecot) have dovecot || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd) ;;
		*) have "$tool" || missing+=("$tool") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
	if ! have go; then
		echo "partnerlink: Go 1.26 or newer is required (https://go.dev/doc/install)" >&2
		exit 1
	fi
}
