/**
 * Crash safety of imports: with results already committed, large imports into the same file are
 * SIGKILLed at seeded points (while SQLite's write-ahead log grows past a size, i.e. inside the
 * import's transaction; and after a delay). Every kill must leave the file as it was: intact,
 * the committed results exactly as before, nothing of the killed import. The next import of the
 * same log then stores all of it, none of it "already recorded".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ResultsStore } from '../../src/results/store.js';
import { REPO, cli, tempDir } from '../helpers.js';
import { rng, seedFor } from '../robustness/damage.js';
import { atomicCsv, atomicTests, daysAgo, type AtomicRun } from './fixtures.js';

const SEED = Number(process.env.PURPLEBOOK_ROBUSTNESS_SEED ?? 19_850_917);
const MAIN = join(REPO, 'dist', 'cli', 'main.js');
const ROWS = 100_000;

type Trigger = { kind: 'wal-grows'; bytes: number } | { kind: 'delay'; ms: number };

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve())));
}

async function killedImport(args: string[], wal: string, trigger: Trigger): Promise<{ signal: string | null; code: number | null; walSize: number }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: 'ignore' });
  const started = Date.now();
  let walSize = -1;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const size = sizeOf(wal);
      if (trigger.kind === 'wal-grows' ? size >= trigger.bytes : Date.now() - started >= trigger.ms) {
        walSize = size;
        child.kill('SIGKILL');
        clearInterval(timer);
        resolve();
      }
    }, 2);
    child.once('exit', () => {
      clearInterval(timer);
      resolve();
    });
  });
  await exited(child);
  return { signal: child.signalCode, code: child.exitCode, walSize };
}

function snapshot(path: string): { integrity: string; counts: unknown; history: unknown; imports: number } {
  const s = ResultsStore.open(path);
  try {
    return {
      integrity: s.db.pragma('integrity_check', { simple: true }) as string,
      counts: s.counts(), history: s.history(), imports: s.imports().length,
    };
  } finally {
    s.close();
  }
}

describe('SIGKILL during results import', () => {
  it('loses nothing committed before it and keeps nothing of itself; the next import stores it all', async () => {
    const kbPath = inject('kbPath');
    const dir = tempDir();
    const results = join(dir, 'results.db');
    const tests = [...atomicTests('T1059.001'), ...atomicTests('T1047')];
    const committed: AtomicRun[] = tests.slice(0, 3).map((test, i) => ({ technique: test.folder, test, host: 'ws01', user: 'alice', start: daysAgo(3, 8, i) }));
    const small = join(dir, 'small.csv');
    writeFileSync(small, atomicCsv(committed));
    const first = cli(['results', 'import', small, '--exercise', 'committed', '--results', results, '--db', kbPath]);
    expect(first.code, first.stderr).toBe(0);
    cli(['results', 'set', 'T1059.001', tests[0]!.guid, '--outcome', 'alerted', '--rule', 'r1', '--results', results, '--db', kbPath]);
    const before = snapshot(results);
    expect(before.counts).toEqual({ exercises: 1, executions: 3, outcomes: 4 });

    const base = daysAgo(2).getTime();
    const big: AtomicRun[] = Array.from({ length: ROWS }, (_, i) => {
      const test = tests[i % tests.length]!;
      return { technique: test.folder, test, host: `host${i % 97}`, user: 'bob', start: new Date(base + i * 1000) };
    });
    const bigFile = join(dir, 'big.csv');
    writeFileSync(bigFile, atomicCsv(big));
    const args = ['results', 'import', bigFile, '--exercise', 'killed', '--results', results, '--db', kbPath, '--quiet'];

    const rand = rng(seedFor(SEED, 'results-crash'));
    const triggers: Trigger[] = [
      { kind: 'wal-grows', bytes: (1 + Math.floor(rand() * 6)) * 1024 * 1024 },
      { kind: 'delay', ms: 300 + Math.floor(rand() * 2500) },
    ];
    const msg = `[seed ${SEED}]`;
    for (const trigger of triggers) {
      const r = await killedImport(args, `${results}-wal`, trigger);
      expect(r.signal, `${msg} ${JSON.stringify(trigger)}: the import ended by itself (${r.code}) before the kill`).toBe('SIGKILL');
      if (trigger.kind === 'wal-grows') expect(r.walSize, `${msg} killed inside the transaction`).toBeGreaterThanOrEqual(trigger.bytes);
      const after = snapshot(results);
      expect(after.integrity, msg).toBe('ok');
      expect(after.counts, `${msg} ${JSON.stringify(trigger)}`).toEqual(before.counts);
      expect(after.history, `${msg} ${JSON.stringify(trigger)}`).toEqual(before.history);
      expect(after.imports, msg).toBe(before.imports);
    }

    const done = cli(args.filter((a) => a !== '--quiet'));
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`Imported ${ROWS} executions and ${ROWS} outcomes`);
    expect(done.stderr).not.toContain('Already recorded');
    expect(snapshot(results).counts).toEqual({ exercises: 2, executions: 3 + ROWS, outcomes: 4 + ROWS });
  }, 240_000);
});
