#!/bin/sh
# Prints the Debian archive this machine's apt is configured with (the first `URIs:` of a
# deb822 .sources file, else the first `deb` line of a .list file), so the scripts that fetch
# packages from other suites (trixie, sid) use the same mirror instead of naming one.
# DEBIAN_MIRROR overrides it.
set -eu
if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; exit 0; fi
uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
if [ -z "$uri" ]; then
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } else break } }')
fi
if [ -z "$uri" ]; then
  echo "debian-mirror: no Debian archive in /etc/apt/sources.list(.d); set DEBIAN_MIRROR" >&2
  exit 1
fi
echo "${uri%/}"
