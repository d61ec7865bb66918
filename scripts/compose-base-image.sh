#!/bin/sh
# Makes the base images the compose stack builds on, without any registry:
#   1. esb-base:bookworm, esb-runtime:python3, esb-runtime:nodejs (scripts/docker-base-image.sh,
#      the agent's script: debootstrap base + function runtime images);
#   2. esb-node:20: esb-base:bookworm + the host's node binary (Node >= 20), the BASE_IMAGE of
#      compose/Dockerfile (the app image). Skipped when ESB_NODE_BASE_IMAGE names another image
#      that exists locally (e.g. node:20-bookworm-slim where a registry answers).
# Idempotent: esb-node:20 is rebuilt only when the host's node binary changed (label digest).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TAG=${ESB_NODE_BASE_IMAGE:-esb-node:20}
"$HERE/docker-base-image.sh"

exec 9>/tmp/esb-compose-base-image.lock
flock 9
if [ "$TAG" != "esb-node:20" ]; then
  docker image inspect "$TAG" >/dev/null 2>&1 && { echo "compose-base-image: using $TAG"; exit 0; }
  echo "compose-base-image: $TAG is not present locally; pulling it" >&2
  exec docker pull "$TAG"
fi
NODE=$(readlink -f "$(command -v node)")
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "compose-base-image: the host's node is $("$NODE" --version); Node >= 20 is needed" >&2; exit 1; }
digest=$(sha256sum "$NODE" "$HERE/../compose/node-base/Dockerfile" | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{index .Config.Labels "dev.esb.node-digest"}}' "$TAG" 2>/dev/null || true)
if [ "$current" = "$digest" ]; then
  echo "compose-base-image: $TAG is up to date ($("$NODE" --version))"
  exit 0
fi
CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
cp "$NODE" "$CTX/node"
cp "$HERE/../compose/node-base/Dockerfile" "$CTX/Dockerfile"
echo "compose-base-image: building $TAG from esb-base:bookworm + host node $("$NODE" --version)"
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" --label "dev.esb.node-digest=$digest" "$CTX" >/dev/null
echo "compose-base-image: ready: $TAG"
