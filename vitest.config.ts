import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Three files at a time even on two cores: the longest files (MQTT, HTTP, the CLI over TCP) mostly wait on
    // sockets and timers. Measured on 2 cores: one worker 586 s, three 411 s with the re-flash and cable tests added.
    maxWorkers: 3,
    reporters: ["default"],
  },
});
