import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    hookTimeout: 90_000, // spawned servers start slowly on a busy 2-core machine
    pool: "forks",
    // Compiles the web console for its browser tests when its sources changed.
    globalSetup: ["test/support/console-build.ts"],
  },
})
