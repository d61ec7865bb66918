#!/bin/sh
# Makes a Docker engine available: installs Debian's docker.io if missing (apt-get), starts
# dockerd in the background if it is not running, and waits for `docker info` to answer.
# Idempotent; safe to run from several shells at once (flock). Needs root for install/start.
set -eu
LOCK=${ESB_DOCKER_LOCK:-/tmp/esb-docker.lock}
LOG=${DOCKERD_LOG:-/var/log/esb-dockerd.log}
WAIT=${DOCKER_WAIT_SECONDS:-60}

if docker info >/dev/null 2>&1; then
  echo "docker-up: engine already running"
  exit 0
fi

exec 9>"$LOCK"
flock 9

if docker info >/dev/null 2>&1; then
  echo "docker-up: engine already running"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker-up: installing docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "docker-up: starting dockerd (log: $LOG)"
  # setsid: the engine outlives this shell; it is a machine service, not a child of the caller.
  # 9>&-: the engine must not inherit (and hold forever) this script's lock.
  setsid dockerd >"$LOG" 2>&1 </dev/null 9>&- &
fi

i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge "$WAIT" ]; then
    echo "docker-up: the engine did not answer within ${WAIT}s; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "docker-up: engine ready ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
