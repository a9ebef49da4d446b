/**
 * The results store on its own: idempotent keyed writes, history kept, marks attached to the
 * latest execution, one transaction per write, and the files it refuses.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionInput } from '../../src/results/model.js';
import { ResultsError, ResultsStore } from '../../src/results/store.js';
import { RESULTS_SCHEMA_VERSION } from '../../src/results/schema.js';
import { tempDir } from '../helpers.js';

const GUID = 'f3132740-55bc-48c4-bcc0-758a459cd027';

function run(over: Partial<ExecutionInput> = {}): ExecutionInput {
  return {
    technique: 'T1059.001', techniqueRaw: 'T1059.001', source: 'atomic-red-team', testId: GUID, testName: 'Mimikatz', host: 'WS01', user: 'CORP\\alice',
    startedAt: '2025-03-04T10:15:00Z', exitStatus: 0, outcomes: [{ outcome: 'ran', initial: true }], ...over,
  };
}

const open: ResultsStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
function fresh(): ResultsStore {
  const s = ResultsStore.open(join(tempDir(), 'results.db'), { create: true });
  open.push(s);
  return s;
}

describe('results store', () => {
  it('a new file is in WAL mode at the current schema version', () => {
    const s = fresh();
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.version).toBe(RESULTS_SCHEMA_VERSION);
  });

  it('the same execution written twice is stored once; its initial outcome too', () => {
    const s = fresh();
    const first = s.write({ records: [run(), run({ testId: 'other-guid', startedAt: '2025-03-04T10:20:00Z' })], exercise: { name: 'Q1' } });
    expect(first).toMatchObject({ executionsAdded: 2, executionsKnown: 0, outcomesAdded: 2, outcomesKnown: 0, exercises: ['Q1'] });
    // Host case differs between loggers: one host.
    const again = s.write({ records: [run({ host: 'ws01' }), run({ testId: 'other-guid', startedAt: '2025-03-04T10:20:00Z' })], exercise: { name: 'Q1' } });
    expect(again).toMatchObject({ executionsAdded: 0, executionsKnown: 2, outcomesAdded: 0, outcomesKnown: 2 });
    expect(s.counts()).toEqual({ exercises: 1, executions: 2, outcomes: 2 });
    // Another host or another start time is another execution.
    s.write({ records: [run({ host: 'WS02' }), run({ startedAt: '2025-03-05T08:00:00Z' })], exercise: { name: 'Q1' } });
    expect(s.counts().executions).toBe(4);
  });

  it('marks append to the latest execution of the test: history kept, nothing overwritten, the same mark twice stored once', () => {
    const s = fresh();
    s.write({ records: [run({ startedAt: '2025-03-04T10:15:00Z' }), run({ startedAt: '2025-03-06T09:00:00Z' })], exercise: { name: 'Q1' } });
    const mark = run({ startedAt: undefined, host: undefined, outcomes: [{ outcome: 'alerted', rule: 'win_mimikatz', note: 'SOC ticket 12' }] });
    expect(s.write({ records: [mark], recordedBy: 'bob' })).toMatchObject({ executionsAdded: 0, outcomesAdded: 1 });
    expect(s.write({ records: [mark], recordedBy: 'bob' })).toMatchObject({ outcomesAdded: 0, outcomesKnown: 1 });
    s.write({ records: [{ ...mark, outcomes: [{ outcome: 'prevented' }] }] });
    const h = s.history();
    expect(h.map((e) => e.startedAt)).toEqual(['2025-03-06T09:00:00Z', '2025-03-04T10:15:00Z']);
    expect(h[0]!.outcomes.map((o) => [o.outcome, o.rule, o.recordedBy])).toEqual([['ran', null, null], ['alerted', 'win_mimikatz', 'bob'], ['prevented', null, null]]);
    expect(h[1]!.outcomes.map((o) => o.outcome)).toEqual(['ran']);
  });

  it('a mark with no execution to attach to creates one without a start time, found again by the next mark', () => {
    const s = fresh();
    const mark = run({ startedAt: undefined, outcomes: [{ outcome: 'not-detected' }] });
    expect(s.write({ records: [mark], now: new Date('2025-04-01T12:00:00Z') })).toMatchObject({ executionsAdded: 1, outcomesAdded: 1, exercises: ['exercise 2025-04-01'] });
    expect(s.write({ records: [{ ...mark, outcomes: [{ outcome: 'alerted', rule: 'r1' }] }] })).toMatchObject({ executionsAdded: 0, outcomesAdded: 1 });
    const [e] = s.history();
    expect(e!.startedAt).toBe('');
    expect(e!.outcomes.map((o) => o.outcome)).toEqual(['not-detected', 'alerted']);
  });

  it('outcomes with their recording time (an export) are recognised anywhere in the history', () => {
    const s = fresh();
    const outcomes = [
      { outcome: 'alerted' as const, rule: 'r1', recordedAt: '2025-03-04T11:00:00Z' },
      { outcome: 'ran' as const, recordedAt: '2025-03-05T11:00:00Z' },
      { outcome: 'alerted' as const, rule: 'r1', recordedAt: '2025-03-06T11:00:00Z' },
    ];
    expect(s.write({ records: [run({ outcomes })] }).outcomesAdded).toBe(3);
    expect(s.write({ records: [run({ outcomes })] })).toMatchObject({ outcomesAdded: 0, outcomesKnown: 3 });
  });

  it('exercises: named by --exercise over the file, else by the day of the earliest execution; known fields are never overwritten', () => {
    const s = fresh();
    s.write({ records: [run({ exercise: { name: 'Op Alpha' } })], exercise: { name: 'Q1', stack: 'EDR A', threats: ['G0016'] } });
    s.write({ records: [run({ startedAt: '2025-02-01T00:00:00Z', exercise: { name: 'Op Alpha' } })] });
    s.write({ records: [run({ startedAt: '2025-01-09T23:59:59Z' })] });
    s.write({ records: [run({ startedAt: '2025-01-10T00:00:00Z' })], exercise: { name: 'Q1', stack: 'EDR B', date: '2025-01-01' } });
    expect(s.exercises().map((x) => [x.name, x.date, x.stack, x.threats, x.executions])).toEqual([
      ['exercise 2025-01-09', '2025-01-09', null, [], 1],
      ['Op Alpha', '2025-02-01', null, [], 1],
      ['Q1', '2025-03-04', 'EDR A', ['G0016'], 2],
    ]);
  });

  it('a write is one transaction: an invalid record leaves nothing of the batch', () => {
    const s = fresh();
    s.write({ records: [run()] });
    const before = s.counts();
    expect(() => s.write({ records: [run({ startedAt: '2025-05-01T00:00:00Z' }), run({ testId: '' })] })).toThrow();
    expect(s.counts()).toEqual(before);
  });

  it('history filters by exercise and technique', () => {
    const s = fresh();
    s.write({ records: [run()], exercise: { name: 'A' } });
    s.write({ records: [run({ technique: 'T1003', testId: 'x', startedAt: '2025-03-07T00:00:00Z' })], exercise: { name: 'B' } });
    expect(s.history({ exercise: 'A' }).map((e) => e.technique)).toEqual(['T1059.001']);
    expect(s.history({ techniques: ['T1003'] }).map((e) => e.exercise)).toEqual(['B']);
    expect(s.history({ exercise: 'nope' })).toEqual([]);
  });

  it('refuses a missing file (unless asked to create it), another SQLite file, a file of a newer schema, and a non-SQLite file', () => {
    const dir = tempDir();
    expect(() => ResultsStore.open(join(dir, 'missing.db'))).toThrow(/no results file at .*missing\.db/);
    const other = join(dir, 'kb.db');
    const db = new Database(other);
    db.exec('CREATE TABLE meta (key TEXT)');
    db.close();
    expect(() => ResultsStore.open(other)).toThrow(ResultsError);
    expect(() => ResultsStore.open(other)).toThrow(/not a Purplebook results file/);
    const newer = join(dir, 'newer.db');
    ResultsStore.open(newer, { create: true }).close();
    const n = new Database(newer);
    n.pragma(`user_version = ${RESULTS_SCHEMA_VERSION + 1}`);
    n.close();
    expect(() => ResultsStore.open(newer)).toThrow(/newer Purplebook/);
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'these are not results\n'.repeat(100));
    expect(() => ResultsStore.open(text)).toThrow(ResultsError);
  });
});
