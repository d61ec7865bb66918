#!/bin/sh
# Builds the one esb image (compose/Dockerfile: Node + the repository, python3 + boto3, the AWS
# SDK v3) locally, without any registry: the base images first (scripts/compose-base-image.sh),
# then `docker build`. Shared by compose (same Dockerfile and tag), kind/up.sh and the test that
# runs the kind manifests in Docker. Prints ESB_IMAGE=<tag>.
#   ESB_IMAGE   tag to build (default esb:latest)
#   ESB_NODE_BASE_IMAGE   base image (default esb-node:20, built from the host's node)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TAG=${ESB_IMAGE:-esb:latest}
"$HERE/compose-base-image.sh" >&2
exec 9>/tmp/esb-image.lock
flock 9
echo "esb-image: building $TAG" >&2
DOCKER_BUILDKIT=0 docker build -q -t "$TAG" -f "$ROOT/compose/Dockerfile" --build-arg "BASE_IMAGE=${ESB_NODE_BASE_IMAGE:-esb-node:20}" "$ROOT" >/dev/null
echo "ESB_IMAGE=$TAG"
