#!/usr/bin/env bash
# need.sh COMMAND=PACKAGE...: make sure each COMMAND is on PATH, installing
# its Debian PACKAGE with apt-get when it is not. For the tools the tests
# run as their own users would (promtool from Debian's prometheus checks
# the metrics file, examples/ start a real Redis). Idempotent: a command
# already there is only named. Needs root (or sudo) and apt.
set -euo pipefail

say() { printf 'need: %s\n' "$*"; }

missing=()
for pair in "$@"; do
	cmd=${pair%%=*} pkg=${pair#*=}
	if [ -z "$cmd" ] || [ -z "$pkg" ] || [ "$cmd" = "$pair" ]; then
		say "bad argument $pair: want COMMAND=PACKAGE" >&2
		exit 2
	fi
	if path=$(command -v "$cmd"); then
		say "$cmd: $path"
	else
		missing+=("$pkg")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	say "no apt-get to install ${missing[*]}: install them by hand" >&2
	exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { say "installing ${missing[*]} needs root or sudo" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Other set-up scripts may hold the dpkg lock: wait for it.
APT=($SUDO apt-get -q -o DPkg::Lock::Timeout=600)
say "installing ${missing[*]} with apt-get"
"${APT[@]}" update >/dev/null
if ! out=$("${APT[@]}" install -y --no-install-recommends "${missing[@]}" 2>&1); then
	printf '%s\n' "$out" | tail -20 >&2
	say "apt-get install failed (output above)" >&2
	exit 1
fi
for pair in "$@"; do
	command -v "${pair%%=*}" >/dev/null || { say "${pair#*=} installed but no ${pair%%=*} on PATH" >&2; exit 1; }
done
say "installed ${missing[*]}"
