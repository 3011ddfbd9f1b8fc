import { defineConfig } from "vitest/config";

const exclude = ["**/node_modules/**", "**/dist/**", "**/.stack/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{apps,libs,bench,deploy}/**/*.test.ts"],
          exclude: [...exclude, "**/*.integration.test.ts"],
          // Property tests run hundreds of cases; on two shared cores under load some take over
          // vitest's default 5 s. A hang still fails.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["{apps,libs,e2e}/**/*.integration.test.ts"],
          exclude,
          // The stack must be up: scripts/test.ts starts it, or point the env at external servers.
          globalSetup: ["libs/testing/src/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
