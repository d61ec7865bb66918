#!/usr/bin/env bash
# Starts etcd + the test API server on free loopback ports (temp data dir), writes a
# kubeconfig, waits until ready, applies crds/, prints KUBECONFIG; Ctrl-C stops everything.
# Builds the server first if needed (scripts/kube-test-apiserver/build.sh).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$REPO/scripts/kube-test-apiserver/build.sh" >/dev/null
cd "$REPO" && exec node --conditions=esb-source --import tsx controller/src/kube/testing/start-cli.ts
