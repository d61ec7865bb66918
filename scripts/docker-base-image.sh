#!/bin/sh
# Makes esb's runtime base images locally, without any container registry:
#   1. esb-base:bookworm and esb-base:trixie — debootstrap --variant=minbase, imported with
#      `docker import`; the root file system tarballs are cached outside the repo ($ESB_CACHE_DIR,
#      ~/.cache/esb). bookworm is the base of compose's esb-node:20; trixie the runtimes' base.
#   2. esb-runtime:python3 — trixie's python3 (3.13) + python3-boto3 (1.37: reads
#      AWS_ENDPOINT_URL_<SERVICE> by itself, as Lambda's boto3 does).
#      esb-runtime:java — trixie's OpenJDK 25 JRE (loads every javaNN runtime's classes) and esb's
#      Java runtime client, compiled in a first build stage.
#      esb-runtime:nodejs — trixie's nodejs (20) + the AWS SDK v3 clients in
#      /var/runtime/node_modules (versions pinned by package-lock.json; npm-installed once into
#      $ESB_CACHE_DIR/nodejs-context/sdk). esb's bootstrap clients at /var/runtime,
#      ENTRYPOINT = bootstrap, CMD = handler.
# Idempotent: existing images are kept unless --rebuild. Needs a running engine (docker-up.sh).
# ESB_RUNTIME_SUITE=bookworm builds the runtimes on bookworm instead (nodejs 18, boto3 1.26).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOTDIR=$(cd "$HERE/.." && pwd)
RUNTIME_DIR="$ROOTDIR/agent/runtime"
CACHE=${ESB_CACHE_DIR:-$HOME/.cache/esb}
RUNTIME_SUITE=${ESB_RUNTIME_SUITE:-trixie}
MIRROR=$("$(dirname "$0")/debian-mirror.sh")
# The AWS SDK packages the nodejs image provides (like Lambda's /var/runtime/node_modules), and
# velocityjs, which esb's built-in function for REST APIs' AWS integrations renders templates with,
# and graphql, which the built-in AppSync function executes queries with.
SDK_PACKAGES="@aws-sdk/client-dynamodb @aws-sdk/lib-dynamodb @aws-sdk/client-s3 @aws-sdk/lib-storage @aws-sdk/client-sqs @aws-sdk/client-eventbridge @aws-sdk/client-scheduler @aws-sdk/client-bedrock-runtime @aws-sdk/client-sns @aws-sdk/client-lambda @aws-sdk/client-sfn @aws-sdk/client-kinesis @aws-sdk/client-firehose @aws-sdk/client-secrets-manager @aws-sdk/client-ssm @aws-sdk/client-apigatewaymanagementapi velocityjs graphql"
REBUILD=0
[ "${1:-}" = "--rebuild" ] && REBUILD=1

exec 9>/tmp/esb-docker-base-image.lock
flock 9

have() { docker image inspect "$1" >/dev/null 2>&1; }

base_image() {
  suite=$1
  if [ "$REBUILD" = 1 ] || ! have "esb-base:$suite"; then
    tarball="$CACHE/$suite-minbase.tar"
    if [ ! -s "$tarball" ]; then
      command -v debootstrap >/dev/null 2>&1 || { echo "docker-base-image: installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
      mkdir -p "$CACHE"
      ROOT=$(mktemp -d "$CACHE/rootfs.XXXXXX")
      trap 'rm -rf "$ROOT"' EXIT
      echo "docker-base-image: debootstrap $suite (minbase) from $MIRROR"
      debootstrap --variant=minbase "$suite" "$ROOT" "$MIRROR" >"$CACHE/debootstrap-$suite.log" 2>&1 || { tail -n 20 "$CACHE/debootstrap-$suite.log" >&2; exit 1; }
      rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
      tar -C "$ROOT" -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      rm -rf "$ROOT"
      trap - EXIT
    fi
    echo "docker-base-image: importing esb-base:$suite from $tarball"
    docker import "$tarball" "esb-base:$suite" >/dev/null
  fi
}

base_image bookworm
[ "$RUNTIME_SUITE" = bookworm ] || base_image "$RUNTIME_SUITE"
BASE=esb-base:$RUNTIME_SUITE

# The SDK versions: the project's package-lock.json (lib-dynamodb follows client-dynamodb).
sdk_specs() {
  node -e '
    const lock = require(process.argv[1]).packages ?? {};
    const v = (p) => lock["node_modules/" + p]?.version;
    console.log(process.argv.slice(2).map((p) => p + "@" + (v(p) ?? (p === "@aws-sdk/lib-dynamodb" ? v("@aws-sdk/client-dynamodb") : undefined) ?? "3")).join(" "));
  ' "$ROOTDIR/package-lock.json" $SDK_PACKAGES
}

# The nodejs build context lives in the cache (the SDK's node_modules stay out of the repo):
# bootstrap files copied in on every run, sdk/ npm-installed when the pinned versions change.
node_context() {
  ctx="$CACHE/nodejs-context"
  specs=$(sdk_specs)
  mkdir -p "$ctx/sdk"
  if [ "$(cat "$ctx/sdk/.specs" 2>/dev/null || true)" != "$specs" ] || [ ! -d "$ctx/sdk/node_modules/@aws-sdk" ]; then
    echo "docker-base-image: npm install $specs" >&2
    rm -rf "$ctx/sdk"
    mkdir -p "$ctx/sdk"
    echo '{"name":"esb-runtime-sdk","private":true}' >"$ctx/sdk/package.json"
    # shellcheck disable=SC2086
    flock /tmp/esb-npm.lock npm install --prefix "$ctx/sdk" --omit=dev --no-audit --no-fund --prefer-offline --no-package-lock --loglevel=error $specs >&2
    echo "$specs" >"$ctx/sdk/.specs"
  fi
  mkdir -p "$ctx/nodejs"
  cp "$RUNTIME_DIR/nodejs/bootstrap.mjs" "$RUNTIME_DIR/nodejs/esm-resolve.mjs" "$RUNTIME_DIR/nodejs/sdk-endpoints.mjs" "$RUNTIME_DIR/nodejs/response-stream.mjs" "$RUNTIME_DIR/nodejs/console-log.mjs" "$ctx/nodejs/"
  rm -rf "$ctx/nodejs/modules" && cp -R "$RUNTIME_DIR/nodejs/modules" "$ctx/nodejs/modules"
  echo "$ctx"
}

# A runtime image is rebuilt when its Dockerfile, bootstrap client, base or SDK versions changed
# (label digest).
build() {
  tag=$1
  file=$2
  context=$3
  extra=$4
  shift 4
  digest=$( (cat "$RUNTIME_DIR/docker/$file" "$@"; echo "$BASE $extra") | sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{index .Config.Labels "dev.esb.runtime-digest"}}' "$tag" 2>/dev/null || true)
  if [ "$REBUILD" = 1 ] || [ "$current" != "$digest" ]; then
    [ -n "$context" ] || context=$(node_context)
    echo "docker-base-image: building $tag on $BASE"
    DOCKER_BUILDKIT=0 docker build -q -t "$tag" --label "dev.esb.runtime-digest=$digest" -f "$RUNTIME_DIR/docker/$file" --build-arg "BASE_IMAGE=$BASE" "$context" >/dev/null
  else
    echo "docker-base-image: $tag is up to date"
  fi
}
build esb-runtime:python3 Dockerfile.python "$RUNTIME_DIR" "" "$RUNTIME_DIR/python/bootstrap.py" "$RUNTIME_DIR/python/cfnresponse.py"
build esb-runtime:java Dockerfile.java "$RUNTIME_DIR" "" $(find "$RUNTIME_DIR/java" "$RUNTIME_DIR/java-core" -name '*.java' | sort)
build esb-runtime:nodejs Dockerfile.nodejs "" "$(sdk_specs)" "$RUNTIME_DIR/nodejs/bootstrap.mjs" "$RUNTIME_DIR/nodejs/esm-resolve.mjs" "$RUNTIME_DIR/nodejs/sdk-endpoints.mjs" "$RUNTIME_DIR/nodejs/response-stream.mjs" "$RUNTIME_DIR/nodejs/console-log.mjs" "$RUNTIME_DIR/nodejs/modules/cfn-response/index.js"
echo "docker-base-image: ready: esb-base:bookworm $BASE esb-runtime:python3 esb-runtime:java esb-runtime:nodejs"
