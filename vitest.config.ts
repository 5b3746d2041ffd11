import { defineConfig } from "vitest/config";

// Two projects, one rule: a test beside the code (`src/**/*.test.ts`, `runtime/**/*.test.ts`, `scripts/**/*.test.ts`) is a unit test and
// needs nothing outside the process (no engine, no registry, no spawned server); everything under `test/` is an
// integration test and may use the real services that `scripts/test-env up` starts.
export default defineConfig({
  test: {
    // Integration tests drive a real engine, registry and server processes: give them room, and
    // keep the 2-core machine from running every heavy file at once.
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["src/**/*.test.ts", "runtime/**/*.test.ts", "scripts/**/*.test.ts"] },
      },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts"] } },
    ],
  },
});
