/** @file A vitest reporter that ends the run with one plain line, "tests: N passed, N failed, N skipped", for CI logs. */
import type { Reporter, TestModule } from "vitest/node";

/** Counts test results across all modules and prints the closing line. */
export default class SummaryLine implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const m of modules) {
      for (const t of m.children.allTests()) count[t.result().state]++;
      if (m.state() === "failed" && !m.children.size) count.failed++; // a file that failed to load
    }
    console.log(`\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`);
  }
}
