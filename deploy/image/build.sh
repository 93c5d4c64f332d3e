#!/bin/sh
# `npm run image`: builds the firebreak image from the top-level Containerfile.
#
# The build context is prepared here, on the host, so the build runs no npm and reaches no registry:
#   app/       the package as `npm pack` publishes it, plus production node_modules from package-lock.json
#              (installed for this machine's platform: build on the architecture you deploy, linux/amd64
#              or linux/arm64 with glibc, as the default base is)
#   data/      empty: PGlite's directory, owned by the image's user
#   runbooks/  empty unless RUNBOOKS is set: the runbooks to bake in
#
# Environment: IMAGE (default localhost/firebreak:<version>), BASE_IMAGE (default node:20-slim),
# RUNBOOKS (a folder to bake in), CONTEXT (default .image), ENGINE (podman, or docker), and
# ENGINE_FLAGS (e.g. "--runtime=runc" for podman on some hosts).
set -eu
cd "$(dirname "$0")/../.."
version=$(node -p 'require("./package.json").version')
IMAGE=${IMAGE:-localhost/firebreak:$version}
CONTEXT=${CONTEXT:-.image}
ENGINE=${ENGINE:-podman}

node scripts/build.mjs --if-stale
rm -rf "$CONTEXT"
mkdir -p "$CONTEXT/app" "$CONTEXT/data" "$CONTEXT/runbooks"
tarball=$(npm pack --ignore-scripts --silent --pack-destination "$CONTEXT")
tar -xzf "$CONTEXT/$tarball" -C "$CONTEXT/app" --strip-components=1
rm "$CONTEXT/$tarball"
cp package-lock.json "$CONTEXT/app/"
cp deploy/image/healthcheck.mjs "$CONTEXT/app/"
# --ignore-scripts: firebreak's own prepare would try to build again, and nothing it depends on needs a
# script to run (esbuild's binary comes as an optional dependency for the platform).
(cd "$CONTEXT/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
rm "$CONTEXT/app/package-lock.json"
if [ -n "${RUNBOOKS:-}" ]; then cp -R "$RUNBOOKS"/. "$CONTEXT/runbooks/"; fi

base_arg=""
if [ -n "${BASE_IMAGE:-}" ]; then base_arg="--build-arg=BASE_IMAGE=$BASE_IMAGE"; fi
format=""
# OCI images have no HEALTHCHECK: podman keeps it in the docker format. No layer cache: the context
# changes with every build, and cached stage images would pile up.
if [ "$ENGINE" = podman ]; then format="--format=docker --layers=false"; fi
# shellcheck disable=SC2086
$ENGINE ${ENGINE_FLAGS:-} build $format $base_arg -f Containerfile -t "$IMAGE" "$CONTEXT"
echo "built $IMAGE"
