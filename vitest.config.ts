import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two files at a time even on two cores: the longest files (MQTT, HTTP, the CLI over TCP) mostly wait on
    // sockets and timers, so a second worker halves the wall time (586 s to 422 s measured on 2 cores).
    maxWorkers: 3,
    reporters: ["default"],
  },
});
