import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { NoSkipsInCi } from './test/no-skips-in-ci.js';

/**
 * The test files that open the knowledge base the run builds: those that `inject('kbPath')`.
 * Read from the files themselves so that a new such test joins the `kb` project without a list to keep.
 */
function knowledgeBaseTests(dir = 'test'): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.test.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    if (/\binject\(\s*['"]kbPath['"]\s*\)/.test(readFileSync(file, 'utf8'))) out.push(file.split('\\').join('/'));
  }
  return out.sort();
}

const kbTests = knowledgeBaseTests();

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One module graph per worker, not one per test file: loading src/ and its libraries again for
    // each of ~100 files was a tenth of the run (import 81 s of worker time, 33 s shared; the suite
    // 429 -> 373 s on a quiet 2-core machine). So a test file leaves no global state behind: it
    // restores process.env and anything it spies on, and no test uses vi.mock.
    isolate: false,
    reporters: ['default', new NoSkipsInCi()],
    // Vitest's default leaves one core idle (CPUs - 1: a single worker on a 2-core machine), while
    // most files spend their time waiting on a CLI child, a server or a browser.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {
        extends: true,
        // Connectors, parsers, fixtures: no knowledge base, so running only these builds none.
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: kbTests, globalSetup: ['test/global-attack.ts'] },
      },
      {
        extends: true,
        // Pages, CLI, server, site: one knowledge base built from the real data for the whole run.
        test: { name: 'kb', include: kbTests, globalSetup: ['test/global-attack.ts', 'test/global-setup.ts'] },
      },
    ],
  },
});
