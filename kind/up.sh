#!/usr/bin/env bash
# Runs esb on a local kind cluster. UNTESTED on our machines (kind node images cannot be
# pulled there); see kind/README.md for the steps and assumptions.
#   kind/up.sh [WORKSPACE]      WORKSPACE = folder with your SAM templates (default: $PWD)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
WORKSPACE="$(cd "${1:-$PWD}" && pwd)"
CLUSTER="${ESB_KIND_CLUSTER:-esb}"
IMAGES=(esb-controller:dev esb-gateway:dev esb-agent:dev)

for tool in kind kubectl docker; do
  command -v "$tool" >/dev/null || { echo "kind/up.sh: $tool is required" >&2; exit 1; }
done
for image in "${IMAGES[@]}"; do
  docker image inspect "$image" >/dev/null 2>&1 || {
    echo "kind/up.sh: image $image not found: build the images first (docker compose -f compose/... build, see kind/README.md)" >&2
    exit 1
  }
done

if ! kind get clusters | grep -qx "$CLUSTER"; then
  config="$(mktemp)"
  sed "s#hostPath: /path/to/workspace#hostPath: $WORKSPACE#; s#^name: esb#name: $CLUSTER#" "$HERE/kind-cluster.yaml" > "$config"
  kind create cluster --config "$config" --wait 120s
  rm -f "$config"
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

for image in "${IMAGES[@]}"; do kind load docker-image --name "$CLUSTER" "$image"; done

kubectl apply -f "$REPO/crds/"
kubectl wait --for=condition=Established --timeout=60s crd/deployments.esb.dev
kubectl apply -f "$HERE/manifests/"
kubectl -n esb-system rollout status deployment/esb-controller deployment/esb-agent deployment/esb-gateway --timeout=180s
echo "esb is up: gateway on http://127.0.0.1:8080 ; deploy with: kubectl apply -f deploy-a.yaml"
