#!/usr/bin/env bash
# Runs esb on a local kind cluster: builds the esb image, creates the cluster (workspace mounted
# into the node), loads the image, `kubectl apply -k kind/`, waits for every rollout.
# Not run on our build machines (no kind node image can be pulled there): see kind/README.md for
# what is tested instead.
#   kind/up.sh [WORKSPACE]      WORKSPACE = folder with your SAM templates (default: $PWD)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
WORKSPACE="$(cd "${1:-$PWD}" && pwd)"
CLUSTER="${ESB_KIND_CLUSTER:-esb}"
IMAGE=esb:latest   # the image every container of kind/manifests runs

for tool in kind kubectl docker; do
  command -v "$tool" >/dev/null || { echo "kind/up.sh: $tool is required" >&2; exit 1; }
done
ESB_IMAGE="$IMAGE" "$REPO/scripts/esb-image.sh" >/dev/null

if ! kind get clusters | grep -qx "$CLUSTER"; then
  config="$(mktemp)"
  sed "s#hostPath: /path/to/workspace#hostPath: $WORKSPACE#; s#^name: esb#name: $CLUSTER#" "$HERE/kind-cluster.yaml" > "$config"
  kind create cluster --config "$config" --wait 120s
  rm -f "$config"
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null
kind load docker-image --name "$CLUSTER" "$IMAGE"

# The CRD first (its Established condition gates the rest), then everything.
kubectl apply -k "$REPO/crds/"
kubectl wait --for=condition=Established --timeout=60s crd/deployments.esb.dev
kubectl apply -k "$HERE"
kubectl -n esb-system rollout status statefulset/esb-storage --timeout=180s
kubectl -n esb-system rollout status deployment/esb-controller deployment/esb-agent deployment/esb-gateway --timeout=180s
echo "esb is up: gateway on http://127.0.0.1:8080 ; deploy with: kubectl apply -f deploy-a.yaml (kubectl get esbdeploy)"
