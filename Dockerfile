# One image for the four services, run as built JavaScript; the command picks the service:
#   docker run schematizer apps/event-sink/dist/main.js
# (apps/franz/dist/cli.js and apps/batcher/dist/cli.js are the operators' CLIs.)

# Build: every dependency, then one bundle per entry point (`npm run build`, esbuild), the same
# bundles `npm start` and the tests run.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/event-sink/package.json apps/event-sink/
COPY apps/sqlizer/package.json apps/sqlizer/
COPY apps/batcher/package.json apps/batcher/
COPY apps/franz/package.json apps/franz/
COPY libs libs
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts scripts
COPY apps apps
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run: the bundles and the npm packages they import; no TypeScript and no compiler.
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/apps/event-sink/dist apps/event-sink/dist
COPY --from=build /app/apps/sqlizer/dist apps/sqlizer/dist
COPY --from=build /app/apps/batcher/dist apps/batcher/dist
COPY --from=build /app/apps/franz/dist apps/franz/dist
USER node
# The flags every service runs with (libs/stack's SERVICE_NODE_FLAGS): stack traces name TypeScript lines.
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["apps/event-sink/dist/main.js"]
