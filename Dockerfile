# stockgate: compiled to JavaScript in a build stage, run with plain node on the Node version the project
# declares. Not built in CI (no Docker there); `docker compose up` builds it (compose.yaml).

# Build: every dependency (tsc is a dev dependency), Prisma's client generated into src/generated/, then
# src/ compiled to dist/ (npm run build: tools/build.mjs), then the dev dependencies dropped.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
# postinstall runs `prisma generate`, which needs the schema copied above.
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY tools/build.mjs ./tools/build.mjs
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run: the production dependencies, dist/, and what it reads beside it at run time: lua/ (the gate's
# scripts) and prisma/ (the migrations applied at start, and /ready's list of them).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY lua ./lua
COPY prisma ./prisma
EXPOSE 4000
USER node
# Worker processes: one per core the container may use (WEB_CONCURRENCY, README "Configuration").
# A young generation of 128 MiB semi-spaces: a batch of carts allocates a lot that dies young, and the
# default 16 MiB made the scavenger run (and promote) several times as often (README "Performance").
CMD ["node", "--max-semi-space-size=128", "dist/main.js"]
