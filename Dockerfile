# syntax=docker/dockerfile:1
# stategate: one port (8080) for GraphQL, REST, gRPC, gRPC-Web and Connect.
#
# The image sets no authentication on purpose: with neither STATEGATE_JWKS_URI nor STATEGATE_AUTH_DISABLED=true
# the server runs in protected mode and listens on loopback only, so a container started without a choice is
# unreachable rather than open. Every sample (docker-compose.yml, deploy/k8s, deploy/helm) makes that choice
# explicitly. scripts/validate-deploy.sh lints this file and runs its CMD with its ENV.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm

# --- build: compile TypeScript, then keep only the production dependencies -------------------------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# The dependencies get a layer of their own (rebuilt only when the lock changes). --ignore-scripts: the sources
# are not here yet, so the build-at-install script (`prepare`) would fail; install scripts (native modules)
# run below, with everything `prepare` needs in place.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build-if-stale.mjs ./scripts/
COPY src ./src
# The web console (Vite + Preact) is built beside the server into dist/console.
COPY console ./console
RUN npm rebuild && npm run build && npm prune --omit=dev --no-audit --no-fund

# --- opa: the Rego-to-WebAssembly compiler the server runs at start for Rego policies ----------------------------
FROM ${GO_IMAGE} AS opa
ENV CGO_ENABLED=0
RUN go install github.com/open-policy-agent/opa@v1.22.4

# --- runtime -----------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    STATEGATE_PORT=8080 \
    STATEGATE_OPA_PATH=/usr/local/bin/opa \
    STATEGATE_STORAGE_PROVIDER='{"name":"sqlite","path":"/data/stategate.db"}'
WORKDIR /app
COPY --from=opa /go/bin/opa /usr/local/bin/opa
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The REST OpenAPI document reads its version from package.json at run time.
COPY package.json ./
# The node image's unprivileged user `node` (uid 1000, numeric so any runtime can resolve it) owns the data
# directory and nothing else.
RUN mkdir /data && chown 1000:1000 /data
VOLUME ["/data"]
USER 1000:1000
# 8080: every API transport; 8081: metrics and profiles (STATEGATE_METRICS_PORT, loopback unless
# STATEGATE_METRICS_HOST or auth disabled).
EXPOSE 8080 8081
# node, not curl: the slim image has no curl. /healthz is liveness (200 while the process serves HTTP).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.STATEGATE_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
