# One image for the four services; the command picks the service:
#   docker run schematizer apps/event-sink/src/main.ts
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY apps/event-sink/package.json apps/event-sink/
COPY apps/sqlizer/package.json apps/sqlizer/
COPY apps/batcher/package.json apps/batcher/
COPY apps/franz/package.json apps/franz/
COPY libs libs
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY apps apps
USER node
# tsx compiles TypeScript as it loads; the services start in about a second.
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["apps/event-sink/src/main.ts"]
