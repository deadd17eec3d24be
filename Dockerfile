# syntax=docker/dockerfile:1
# The Pims server image: `docker build -t pims .` (docs/deployment.md).
# Build and runtime stages use the same Debian release, so the native module (better-sqlite3)
# compiled in the build stage links against the same glibc at run time.

FROM node:20.20-bookworm AS build
WORKDIR /app
# The full image has python3, make and g++: better-sqlite3 compiles here, never at run time.
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/sdk/package.json packages/sdk/
COPY packages/relying-party/package.json packages/relying-party/
COPY packages/server/package.json packages/server/
COPY packages/tests/package.json packages/tests/
# Dependencies first (cached while only sources change); `prepare` builds later, with the sources.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY packages/protocol packages/protocol
COPY packages/sdk packages/sdk
COPY packages/relying-party packages/relying-party
COPY packages/server packages/server
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/tests node_modules/@pims/tests packages/*/src packages/*/tsconfig*.json packages/*/*.tsbuildinfo

FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PIMS_MODE=production \
    PIMS_HOST=0.0.0.0 \
    PIMS_PORT=8080 \
    PIMS_DATA_DIR=/var/lib/pims
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/packages packages
# The code belongs to root and is read-only for the process; only the data folder is its own
# (used for SQLite deployments; PostgreSQL ones need no writable folder at all).
RUN mkdir -p /var/lib/pims && chown node:node /var/lib/pims
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PIMS_PORT||8080}/health`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The node flags of the `pims` command's first line (packages/server/bin/pims.js: the young
# generation's size, read by V8 at start only).
ENTRYPOINT ["node", "--max-semi-space-size=4", "packages/server/bin/pims.js"]
CMD ["serve"]
