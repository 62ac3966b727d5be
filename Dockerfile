# One image for the API, the worker and the migration job (docker-compose.yml picks
# the command). The apps run their bundles (dist/main.js, scripts/bundle.ts) with
# plain node; the image keeps the workspace's full install for the migration job
# (the Prisma CLI).
FROM node:20-bookworm-slim AS base
# The pnpm version pinned by package.json's "packageManager" (corepack is not used).
RUN npm install -g pnpm@10.34.8 && npm cache clean --force
ENV npm_config_update_notifier=false
WORKDIR /app

FROM base AS build
# pnpm fetch reads only the lockfile (and the workspace settings), so this layer,
# the slow one, is rebuilt when dependencies change, not on every source edit.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
# --offline: everything was fetched above.
RUN pnpm install --offline --frozen-lockfile \
  && pnpm --filter @salvo/api --filter @salvo/worker --filter @salvo/console run build

# The final stage leaves pnpm's store behind in the build stage.
FROM base
# JSON logs even under `docker run -t` (a terminal would otherwise get readable ones).
ENV NODE_ENV=production LOG_FORMAT=json
COPY --from=build /app /app
# The files stay root-owned: the app only reads them.
USER node
EXPOSE 3000
# What `pnpm start:api` runs, minus pnpm (and the build, done above): on SIGTERM
# pnpm exits at once without waiting for the app, so `docker stop` would kill the
# API in the middle of its graceful shutdown. Run this way, node gets SIGTERM
# itself and drains first.
WORKDIR /app/apps/api
CMD ["node", "dist/main.js"]
