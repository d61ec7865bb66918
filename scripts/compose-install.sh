#!/bin/sh
# Makes `docker compose` (v2) available without any container registry: fetches trixie's
# docker-compose package (it depends only on libc6 and runs on bookworm) with a private apt
# configuration, unpacks it and links the binary into ~/.docker/cli-plugins/. Idempotent
# (flock; does nothing when `docker compose version` already answers). Needs the Debian mirror.
set -eu
MIRROR=$("$(dirname "$0")/debian-mirror.sh")
CACHE=${ESB_CACHE_DIR:-$HOME/.cache/esb}/compose
PLUGINS=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins

exec 9>/tmp/esb-compose-install.lock
flock 9

if docker compose version >/dev/null 2>&1; then
  echo "compose-install: $(docker compose version)"
  exit 0
fi

mkdir -p "$CACHE/lists/partial" "$CACHE/archives/partial" "$CACHE/pkg" "$PLUGINS"
if [ ! -x "$CACHE/pkg/usr/libexec/docker/cli-plugins/docker-compose" ]; then
  echo "deb $MIRROR trixie main" >"$CACHE/sources.list"
  APT="-o Dir::Etc::sourcelist=$CACHE/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$CACHE/lists -o Dir::Cache=$CACHE -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root"
  echo "compose-install: fetching docker-compose from trixie ($MIRROR)"
  # shellcheck disable=SC2086
  apt-get $APT update -qq
  # shellcheck disable=SC2086
  (cd "$CACHE" && apt-get $APT download docker-compose >/dev/null)
  deb=$(ls -t "$CACHE"/docker-compose_*.deb | head -n 1)
  dpkg -x "$deb" "$CACHE/pkg"
fi
bin=$(find "$CACHE/pkg" -type f -name docker-compose -perm -u+x | head -n 1)
[ -n "$bin" ] || { echo "compose-install: no docker-compose binary in the package" >&2; exit 1; }
ln -sf "$bin" "$PLUGINS/docker-compose"
echo "compose-install: $(docker compose version)"
