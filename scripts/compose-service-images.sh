#!/bin/sh
# Builds one image per service (esb-gateway, esb-agent, esb-controller, esb-provisioner,
# esb-database, esb-s3-storage) on top of the app image, from compose/services/<name>.Dockerfile:
# for running a service on its own or pushing to a registry. The compose stack does not need
# them (it runs the esb image with per-service commands). Builds the esb image first when it is missing.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
APP=${ESB_APP_IMAGE:-esb:latest}
TAG=${ESB_SERVICE_TAG:-latest}
if ! docker image inspect "$APP" >/dev/null 2>&1; then
  docker build -q -t "$APP" -f "$HERE/../compose/Dockerfile" --build-arg "BASE_IMAGE=${ESB_NODE_BASE_IMAGE:-esb-node:20}" "$HERE/.." >/dev/null
fi
for f in "$HERE"/../compose/services/*.Dockerfile; do
  name=$(basename "$f" .Dockerfile)
  out=$(DOCKER_BUILDKIT=0 docker build -q -t "esb-$name:$TAG" --build-arg "APP_IMAGE=$APP" -f "$f" "$HERE/../compose/services" 2>&1) || { echo "$out" >&2; exit 1; }
  echo "compose-service-images: esb-$name:$TAG"
done
