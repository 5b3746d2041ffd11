import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests drive a real engine, registry and server processes: give them room, and
    // keep the 2-core machine from running every heavy file at once.
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
