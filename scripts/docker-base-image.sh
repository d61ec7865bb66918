#!/bin/sh
# Makes esb's runtime base images locally, without any registry:
#   1. esb-base:bookworm  — debootstrap --variant=minbase bookworm, imported with `docker import`;
#      the root file system tarball is cached outside the repo ($ESB_CACHE_DIR, ~/.cache/esb).
#   2. esb-runtime:python3 and esb-runtime:nodejs — Debian's python3 (+ python3-boto3) / nodejs,
#      esb's bootstrap clients at /var/runtime, ENTRYPOINT = bootstrap, CMD = handler.
# Idempotent: existing images are kept unless --rebuild. Needs a running engine (docker-up.sh).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
RUNTIME_DIR="$HERE/../agent/runtime"
CACHE=${ESB_CACHE_DIR:-$HOME/.cache/esb}
SUITE=${ESB_BASE_SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE=esb-base:$SUITE
REBUILD=0
[ "${1:-}" = "--rebuild" ] && REBUILD=1

exec 9>/tmp/esb-docker-base-image.lock
flock 9

have() { docker image inspect "$1" >/dev/null 2>&1; }

if [ "$REBUILD" = 1 ] || ! have "$BASE"; then
  TARBALL="$CACHE/$SUITE-minbase.tar"
  if [ ! -s "$TARBALL" ]; then
    command -v debootstrap >/dev/null 2>&1 || { echo "docker-base-image: installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    mkdir -p "$CACHE"
    ROOT=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap 'rm -rf "$ROOT"' EXIT
    echo "docker-base-image: debootstrap $SUITE (minbase) from $MIRROR"
    debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || { tail -n 20 "$CACHE/debootstrap.log" >&2; exit 1; }
    rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
    tar -C "$ROOT" -cf "$TARBALL.tmp" .
    mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$ROOT"
    trap - EXIT
  fi
  echo "docker-base-image: importing $BASE from $TARBALL"
  docker import "$TARBALL" "$BASE" >/dev/null
fi

# A runtime image is rebuilt when its Dockerfile or bootstrap client changed (label digest).
build() {
  tag=$1
  file=$2
  shift 2
  digest=$(cat "$RUNTIME_DIR/docker/$file" "$@" | sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{index .Config.Labels "dev.esb.runtime-digest"}}' "$tag" 2>/dev/null || true)
  if [ "$REBUILD" = 1 ] || [ "$current" != "$digest" ]; then
    echo "docker-base-image: building $tag"
    DOCKER_BUILDKIT=0 docker build -q -t "$tag" --label "dev.esb.runtime-digest=$digest" -f "$RUNTIME_DIR/docker/$file" --build-arg "BASE_IMAGE=$BASE" "$RUNTIME_DIR" >/dev/null
  else
    echo "docker-base-image: $tag is up to date"
  fi
}
build esb-runtime:python3 Dockerfile.python "$RUNTIME_DIR/python/bootstrap.py"
build esb-runtime:nodejs Dockerfile.nodejs "$RUNTIME_DIR/nodejs/bootstrap.mjs" "$RUNTIME_DIR/nodejs/esm-resolve.mjs"
echo "docker-base-image: ready: $BASE esb-runtime:python3 esb-runtime:nodejs"
