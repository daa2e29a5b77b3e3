import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, no build needed.
    conditions: ["@patgate/source"],
  },
  ssr: { resolve: { conditions: ["@patgate/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/harness/global-setup.ts"],
    pool: "forks",
    // Two files at a time even on two cores: most suites spend their time waiting on the
    // processes, Redis and the store they started, not on the CPU (about half the wall time).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
