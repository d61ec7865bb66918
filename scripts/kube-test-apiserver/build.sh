#!/usr/bin/env bash
# Builds a real, CRD-serving Kubernetes API server for tests, offline, from Debian packages
# (see docs/kube.md, "Testing against a real API server"):
#   - Go sources of k8s.io/apiextensions-apiserver + k8s.io/apiserver 0.36.x and the Go
#     toolchain from Debian sid, etcd-server from trixie, kubectl from sid;
#   - fetched with a PRIVATE apt config (the machine's own sources stay untouched),
#     extracted with dpkg -x (no root install), built in GOPATH mode fully offline;
#   - our own main (main.go beside this script): no core API, no admission, no APF,
#     static token auth (system:masters), /apis discovery, OpenAPI v2/v3.
# Everything is cached outside the repo, in $ESB_KUBE_CACHE (default
# ~/.cache/esb/kube-test-apiserver); reruns take seconds. Idempotent.
# Prints the binaries' paths as KEY=VALUE lines on stdout (logs go to stderr).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${ESB_KUBE_CACHE:-$HOME/.cache/esb/kube-test-apiserver}"
APT="$CACHE/apt"
DEBS="$CACHE/debs"
ROOT="$CACHE/root"
BIN="$CACHE/bin"
GO_VERSION="${ESB_KUBE_GO:-1.26}"
K8S_VERSION="v1.36.4"
# Pinned suites: the API server sources and kubectl from sid, etcd 3.5 from trixie.
SRC_PKGS=(golang-k8s-apiextensions-apiserver-dev golang-k8s-apiserver-dev)
TOOL_PKGS=("golang-$GO_VERSION-go" "golang-$GO_VERSION-src" "etcd-server/trixie" "kubectl/sid")

log() { echo "[kube-test-apiserver] $*" >&2; }
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$DEBS" "$BIN"
# One build at a time per cache (parallel test workers, a developer and CI on one machine).
exec 9>"$CACHE/.lock"
flock 9

# Hash of everything that decides the build output: rebuild only when it changes.
STAMP_INPUT="$(cat "$HERE/main.go" "$HERE/build.sh" | sha256sum | cut -c1-16)"
if [[ -x "$BIN/kube-test-apiserver" && -x "$BIN/etcd" && -x "$BIN/kubectl" \
      && "$(cat "$BIN/.stamp" 2>/dev/null)" == "$STAMP_INPUT" ]]; then
  log "up to date (cache: $CACHE)"
else
  T0=$(date +%s)
  MIRROR=$("$HERE/../debian-mirror.sh")
  cat > "$APT/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR sid main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main
SRC
  APTOPTS=(-q -o "Dir::Etc::sourcelist=$APT/sources.list" -o Dir::Etc::sourceparts=-
           -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "APT::Sandbox::User=root")

  if [[ ! -f "$ROOT/.extracted" ]]; then
    log "apt-get update (private sources: sid + trixie)"
    apt-get "${APTOPTS[@]}" update >&2
    log "resolving Go source dependencies"
    mapfile -t GODEPS < <(apt-cache "${APTOPTS[@]}" depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances "${SRC_PKGS[@]}" \
      | grep -E '^golang-[a-z0-9.+-]*-dev$' | sort -u)
    log "${#GODEPS[@]} Go source packages + toolchain, etcd, kubectl"
    log "downloading into $DEBS"
    (cd "$DEBS" && apt-get "${APTOPTS[@]}" download "${GODEPS[@]}" "${TOOL_PKGS[@]}" >&2)
    log "extracting into $ROOT"
    rm -rf "$ROOT.tmp" && mkdir -p "$ROOT.tmp"
    for deb in "$DEBS"/*.deb; do dpkg -x "$deb" "$ROOT.tmp"; done
    # Debian's Go source packages hold absolute symlinks (/usr/share/gocode/...): point them
    # into the extracted tree instead.
    find "$ROOT.tmp" -type l -lname '/*' | while read -r l; do
      t="$(readlink "$l")"; ln -sfn "$ROOT${t}" "$l"
    done
    rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
    touch "$ROOT/.extracted"
  fi

  GOROOT="$ROOT/usr/lib/go-$GO_VERSION"
  GOPATH="$CACHE/gopath"
  mkdir -p "$GOPATH/src/esb.dev" "$CACHE/gocache"
  # GOPATH mode: the packaged sources are the import roots; our main is one more package.
  rm -rf "$GOPATH/src/esb.dev/kube-test-apiserver" && mkdir -p "$GOPATH/src/esb.dev/kube-test-apiserver"
  cp "$HERE/main.go" "$GOPATH/src/esb.dev/kube-test-apiserver/main.go"
  log "go build (GOPATH mode, offline; cold ~4 min on 2 cores, warm seconds)"
  ( cd "$GOPATH/src/esb.dev/kube-test-apiserver"
    export GOROOT GOPATH="$GOPATH:$ROOT/usr/share/gocode" GO111MODULE=off GOPROXY=off GOFLAGS= \
      GOTOOLCHAIN=local CGO_ENABLED=0 GOCACHE="$CACHE/gocache" GOTELEMETRY=off
    "$GOROOT/bin/go" build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36" \
      -o "$BIN/kube-test-apiserver.tmp" . >&2 )
  mv "$BIN/kube-test-apiserver.tmp" "$BIN/kube-test-apiserver"
  # Copies, not links: bin/ alone (~170 MB) is enough for a warm run, e.g. as a CI cache.
  rm -f "$BIN/etcd" "$BIN/kubectl"
  cp "$ROOT/usr/bin/etcd" "$BIN/etcd"
  cp "$ROOT/usr/bin/kubectl" "$BIN/kubectl"
  echo "$STAMP_INPUT" > "$BIN/.stamp"
  log "built in $(( $(date +%s) - T0 )) s"
fi

echo "KUBE_TEST_APISERVER=$BIN/kube-test-apiserver"
echo "KUBE_TEST_ETCD=$BIN/etcd"
echo "KUBE_TEST_KUBECTL=$BIN/kubectl"
