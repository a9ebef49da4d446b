/**
 * Reading in worker threads changes where sources are parsed, never what the knowledge base
 * holds: on the real data, a build with two workers, a build in one thread and a rebuild through
 * the parse cache give the same rows in the same order, and so does the knowledge base the test
 * run built from the TypeScript sources.
 */
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { BuildSummary } from '../../src/kb/build.js';
import { DATA_DIR, cli, tempDir } from '../helpers.js';
import { kbDiff } from './kb-rows.js';

function build(db: string, ...args: string[]): BuildSummary {
  const r = cli(['build', '--data', DATA_DIR, '--db', db, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as BuildSummary;
}

describe('parallel build', () => {
  it('two workers, one thread and the parse cache give the same knowledge base row for row', () => {
    const dir = tempDir();
    const sequential = join(dir, 'sequential.db');
    const parallel = join(dir, 'parallel.db');

    const one = build(sequential, '--full', '--jobs', '1');
    const two = build(parallel, '--full', '--jobs', '2');
    expect([one.workers, two.workers]).toEqual([0, 2]);
    expect(two.cache.read.files).toBeGreaterThan(5000);
    expect(kbDiff(sequential, parallel)).toEqual([]);

    const again = build(parallel, '--jobs', '2');
    expect(again.cache.discarded).toBeUndefined();
    expect(again.cache.read).toEqual({ files: 0, sources: 0, attack: false });
    expect(again.cache.reused.files).toBe(two.cache.read.files);
    expect(kbDiff(sequential, parallel)).toEqual([]);

    expect(kbDiff(sequential, inject('kbPath'))).toEqual([]);
  });

  it('--jobs takes a whole number from 1', () => {
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const r = cli(['build', '--data', DATA_DIR, '--db', join(tempDir(), 'x.db'), '--jobs', bad]);
      expect([bad, r.code, r.stderr.trim()]).toEqual([bad, 2, `purplebook: --jobs must be a whole number from 1 to 256, got "${bad}"`]);
    }
  });
});
