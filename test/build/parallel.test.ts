/**
 * Reading in worker threads changes where sources are parsed, never what the knowledge base
 * holds: on the real data, a build with two workers and a rebuild through the parse cache give
 * the same rows in the same order as the build in one thread, which is the knowledge base the
 * test run built (global-setup.ts: from the TypeScript sources, in the setup's own thread).
 */
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { BuildSummary } from '../../src/kb/build.js';
import { DATA_DIR, cli, fixtureDir, tempDir } from '../helpers.js';
import { hostileBundle } from '../web/fixture.js';
import { kbDiff } from './kb-rows.js';

function build(db: string, ...args: string[]): BuildSummary {
  const r = cli(['build', '--data', DATA_DIR, '--db', db, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as BuildSummary;
}

describe('parallel build', () => {
  it('two workers, one thread and the parse cache give the same knowledge base row for row', () => {
    const sequential = inject('kbPath');
    expect(inject('kbWorkers')).toBe(0);
    const parallel = join(tempDir(), 'parallel.db');

    const two = build(parallel, '--full', '--jobs', '2');
    expect(two.workers).toBe(2);
    expect(two.cache.read.files).toBeGreaterThan(5000);
    expect(kbDiff(sequential, parallel)).toEqual([]);

    const again = build(parallel, '--jobs', '2');
    expect(again.cache.discarded).toBeUndefined();
    expect(again.cache.read).toEqual({ files: 0, sources: 0, attack: false });
    expect(again.cache.reused.files).toBe(two.cache.read.files);
    expect(kbDiff(sequential, parallel)).toEqual([]);
  });

  it('--jobs takes a whole number from 1', () => {
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = cli(['build', '--data', DATA_DIR, '--db', join(tempDir(), 'x.db'), '--jobs', bad]);
      expect([bad, r.code, r.stderr.trim()]).toEqual([bad, 2, `purplebook: --jobs must be a whole number from 1 to 256, got "${bad}"`]);
    }
  });

  it('--jobs 1 reads in one thread, --jobs 2 in two workers, with the same knowledge base', () => {
    const rule = (n: number) => `title: Rule ${n}\nid: 0000000${n}-0000-4000-8000-000000000000\nlogsource: {product: windows}\ndetection: {sel: {a: ${n}}, condition: sel}\ntags: [attack.t1059.001]\n`;
    // Two sources, so two tasks: the pool takes no more workers than it has tasks.
    const data = fixtureDir({ 'attack/enterprise-attack.json': hostileBundle(), 'sigma/rules/a.yml': rule(1), 'elastic/rules/b.toml': '[rule]\nname = "x"\n' });
    const one = build(join(tempDir(), 'one.db'), '--data', data, '--jobs', '1');
    const two = build(join(tempDir(), 'two.db'), '--data', data, '--jobs', '2');
    expect([one.workers, two.workers]).toEqual([0, 2]);
    expect(kbDiff(one.dbPath, two.dbPath)).toEqual([]);
  });
});
