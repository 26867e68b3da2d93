#!/usr/bin/env bash
# install-browser.sh: make sure a headless-capable Chromium is on this
# machine for the report's browser test (reports/html TestBrowser).
#
# Idempotent: it does nothing but say so when chromium is already there.
# It installs Debian's `chromium` package (the only browser reachable here:
# no browser downloads from anywhere else) and fonts-dejavu-core so the
# report's screenshot has real glyphs. Needs root (or sudo) and apt.
set -euo pipefail

say() { printf 'install-browser: %s\n' "$*"; }

find_browser() {
	local b
	for b in chromium chromium-browser google-chrome google-chrome-stable; do
		if command -v "$b" >/dev/null 2>&1; then
			command -v "$b"
			return 0
		fi
	done
	return 1
}

if b=$(find_browser); then
	say "already installed: $b ($("$b" --version 2>/dev/null || echo 'version unknown'))"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	say "no chromium and no apt-get: install Chromium by hand and put it on PATH" >&2
	exit 1
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		say "installing chromium needs root; rerun as root or install sudo" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
# Other setup scripts may be running apt at the same time: wait for the
# dpkg lock instead of failing on it.
APT=($SUDO apt-get -q -o DPkg::Lock::Timeout=600)
say "chromium not found; running apt-get update"
"${APT[@]}" update >/dev/null
say "installing chromium and fonts-dejavu-core with apt-get"
if ! out=$("${APT[@]}" install -y --no-install-recommends chromium fonts-dejavu-core 2>&1); then
	printf '%s\n' "$out" | tail -20 >&2
	say "apt-get install failed (output above)" >&2
	exit 1
fi

b=$(find_browser) || { say "apt-get finished but no chromium on PATH" >&2; exit 1; }
say "installed: $b ($("$b" --version 2>/dev/null || echo 'version unknown'))"
