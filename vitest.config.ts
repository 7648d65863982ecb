import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the bundle of the `reelswarm` command the tests run as a process.
    globalSetup: ["test/global-setup.ts"],
    // Two cores: real ffmpeg and SQLite tests contend for them, so keep workers few. The timeouts
    // only guard against a hang: no test's outcome depends on them, and a test that spawns real
    // processes may take minutes on a machine loaded by other work.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    env: { REELSWARM_STRICT_CODEC: "1" }
  }
})
