/**
 * A reporter that fails a CI run in which any test was skipped: a browser test that skips for want
 * of Chromium, or a `.skip` left behind, would otherwise pass CI green having proven nothing.
 */
import type { Reporter, TestModule } from 'vitest/node';

export class NoSkipsInCi implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    if (!process.env.CI) return;
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) if (t.result().state === 'skipped') skipped.push(`${m.moduleId}: ${t.fullName}`);
    }
    if (!skipped.length) return;
    process.stderr.write(`\n${skipped.length} test(s) skipped, and CI runs every test:\n${skipped.slice(0, 20).map((s) => `  ${s}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
