import { defineConfig } from "vitest/config";
import SummaryLine from "./test/summary-reporter.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    reporters: ["default", new SummaryLine()],
  },
});
