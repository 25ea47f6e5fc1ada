# syntax=docker/dockerfile:1

# The image API: the server built from this pnpm workspace, with the admin app's build served at /admin.
# Build from the repository root, where the workspace lockfile is:  docker build -t image-api .
# server/test/deploy/deploy-files.spec.ts checks this file against the workspace.

# Debian (glibc), not Alpine: sharp's and argon2's prebuilt binaries are built for glibc.
FROM node:24-bookworm-slim AS base
# the version of package.json's packageManager; any other would make pnpm switch to that one itself
RUN npm install --global pnpm@10.34.8
ENV CI=true
WORKDIR /app

# Every package of the lockfile into the store. Only the lockfile and the workspace settings invalidate
# this layer, not edits to a package.json.
FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

FROM deps AS build
COPY package.json ./
COPY server/package.json server/
COPY admin-ui/package.json admin-ui/
# Compiling needs no install script. Skipping them also keeps the root `node` devDependency from
# downloading a second Node.js with npm: the image has Node 24 already.
RUN pnpm install --frozen-lockfile --offline --ignore-scripts
COPY schema.graphql ./
COPY server/ server/
COPY admin-ui/ admin-ui/
# The runtime folder, by the script server/test/deploy/runtime-folder.spec.ts runs too: the server's
# build and production dependencies only (`pnpm deploy --prod`, whose install scripts run there, for
# the packages pnpm-workspace.yaml allows), and the admin app's build.
COPY scripts/build-runtime.sh scripts/
RUN scripts/build-runtime.sh /runtime

FROM node:24-bookworm-slim AS runtime
# jemalloc under Node, as sharp advises on glibc Linux: libvips' threads allocate and free large
# buffers, and glibc keeps what they free. pnpm fuzz measured 405 MB after a burst instead of 453 MB,
# 192 MB fresh instead of 212 MB. The link gives one path on amd64 and arm64 alike.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
# MALLOC_ARENA_MAX for whatever still uses glibc's malloc: two arenas instead of one per thread
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    PORT=4000 \
    DATA_DIR=/data \
    ADMIN_UI_DIR=/app/admin-ui/dist
WORKDIR /app/server
# /app/server (package.json, dist, node_modules) and /app/admin-ui/dist, owned by root and read-only
# for the server
COPY --from=build /runtime /app
# DATA_DIR is the one writable place: uploads in progress, and the media with STORAGE=local
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000
# the slim image has no curl: Node's fetch asks the liveness route
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
