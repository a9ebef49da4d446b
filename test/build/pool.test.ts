/**
 * The parse pool's end: once told no task will come (closeWhenIdle), each worker ends as soon as
 * the queue has nothing for it, which must neither lose nor fail a task still queued or running,
 * and the pool then refuses new tasks. Runs the compiled worker (dist/), as the CLI does.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ParsePool } from '../../src/kb/parse-pool.js';
import { runTask, type Task, type TaskResult, type TaskSetup } from '../../src/kb/parse-task.js';
import { DEFAULT_LIMITS } from '../../src/core/types.js';
import { findSource } from '../../src/sources/registry.js';
import { DATA_DIR, REPO } from '../helpers.js';

const SCRIPT = pathToFileURL(join(REPO, 'dist', 'kb', 'parse-worker.js'));
const SIGMA = 'sigma/rules/windows/process_creation';
const FILES = ['proc_creation_win_7zip_exfil_dmp_files.yml', 'proc_creation_win_7zip_password_compression.yml', 'proc_creation_win_acccheckconsole_execution.yml'];
const setup: TaskSetup = { dataDir: DATA_DIR, limits: DEFAULT_LIMITS };

/** One Sigma file to read: a task small enough that several queue behind the running ones. */
const task = (file: string): Task => ({
  kind: 'files', source: 'sigma', provenance: { accessedFrom: 'unknown' }, nonce: '0'.repeat(24), files: [{ file: `${SIGMA}/${file}` }],
});

/** What a result says of the files read: their names and record titles (stamps hold read times). */
const titles = (r: TaskResult): unknown => (r.kind === 'files'
  ? r.results.map((f) => [f.file, (f.items ?? []).map((it) => (Array.isArray(it) ? it : it.title))]) : r.kind);

describe('parse pool', () => {
  it('ends its workers once the queue is empty after closeWhenIdle, with every queued task answered', async () => {
    const pool = new ParsePool(2, setup, SCRIPT, { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 1024 });
    try {
      const tasks = [...FILES, ...FILES, ...FILES].map(task);
      const answers = tasks.map((t) => pool.run(t));
      pool.closeWhenIdle();
      const got = await Promise.all(answers);
      const expected = await Promise.all(tasks.map((t) => runTask(t, setup, findSource('sigma'))));
      expect(got.map(titles)).toEqual(expected.map(titles));
      expect(got.flatMap((r) => (r.kind === 'files' ? r.results.map((f) => f.items?.length) : []))).toEqual(Array(9).fill(1));
      await vi.waitFor(() => expect(pool.exited).toBe(2), { timeout: 10_000 });
      await expect(pool.run(task(FILES[0]!))).rejects.toThrow('the parse pool takes no more tasks');
    } finally {
      await pool.close();
    }
  });

  it('keeps its workers until closeWhenIdle, however long the queue stays empty', async () => {
    const pool = new ParsePool(2, setup, SCRIPT);
    try {
      await pool.run(task(FILES[0]!));
      await new Promise((r) => setTimeout(r, 200));
      expect(pool.exited).toBe(0);
      expect(titles(await pool.run(task(FILES[1]!)))).toEqual(titles(await runTask(task(FILES[1]!), setup, findSource('sigma'))));
      pool.closeWhenIdle();
      await vi.waitFor(() => expect(pool.exited).toBe(2), { timeout: 10_000 });
    } finally {
      await pool.close();
    }
  });
});
