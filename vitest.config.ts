import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Two cores: real ffmpeg and SQLite tests contend for them, so keep workers few and timeouts generous.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { REELSWARM_STRICT_CODEC: "1" }
  }
})
