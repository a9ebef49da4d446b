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

/** The first schema version, as its files are on disk: frozen here, never derived from the code. */
const SCHEMA_V1 = `
CREATE TABLE exercises (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, date TEXT, threats TEXT NOT NULL DEFAULT '[]', stack TEXT, created_at TEXT NOT NULL);
CREATE TABLE executions (
  id INTEGER PRIMARY KEY, exercise INTEGER NOT NULL REFERENCES exercises(id), technique TEXT NOT NULL, technique_raw TEXT NOT NULL, source TEXT NOT NULL,
  test_id TEXT NOT NULL CHECK (test_id <> ''), test_name TEXT, platform TEXT, host TEXT NOT NULL DEFAULT '', user TEXT, started_at TEXT NOT NULL DEFAULT '',
  ended_at TEXT, exit_status INTEGER, recorded_at TEXT NOT NULL, UNIQUE (source, test_id, host, started_at)
);
CREATE INDEX executions_technique ON executions(technique);
CREATE INDEX executions_exercise ON executions(exercise);
CREATE TABLE outcomes (
  id INTEGER PRIMARY KEY, execution INTEGER NOT NULL REFERENCES executions(id),
  outcome TEXT NOT NULL CHECK (outcome IN ('not-run', 'blocked', 'not-detected', 'ran', 'logged', 'alerted', 'prevented')),
  rule TEXT, alert_id TEXT, note TEXT, recorded_by TEXT, recorded_at TEXT NOT NULL
);
CREATE INDEX outcomes_execution ON outcomes(execution, id);
PRAGMA user_version = 1;
`;

describe('results schema migrations', () => {
  it('a file of the first schema version opens, migrates to the current one, and keeps every row', () => {
    const path = join(tempDir(), 'v1.db');
    const v1 = new Database(path);
    v1.pragma('journal_mode = WAL');
    v1.exec(SCHEMA_V1);
    v1.prepare("INSERT INTO exercises (name, date, threats, stack, created_at) VALUES ('Q4 2024', '2024-11-02', '[\"G0016\"]', 'EDR A', '2024-11-02T09:00:00Z')").run();
    v1.prepare(`INSERT INTO executions (exercise, technique, technique_raw, source, test_id, host, started_at, exit_status, recorded_at)
      VALUES (1, 'T1562.001', 'T1562.001', 'atomic-red-team', ?, 'ws01', '2024-11-02T09:30:00Z', 0, '2024-11-02T10:00:00Z')`).run(GUID);
    v1.prepare("INSERT INTO outcomes (execution, outcome, rule, recorded_by, recorded_at) VALUES (1, 'alerted', 'edr-tamper', 'alice', '2024-11-03T08:00:00Z')").run();
    v1.close();

    const s = ResultsStore.open(path);
    open.push(s);
    expect(RESULTS_SCHEMA_VERSION).toBeGreaterThan(1);
    expect(s.version).toBe(RESULTS_SCHEMA_VERSION);
    expect(s.exercises()).toMatchObject([{ name: 'Q4 2024', date: '2024-11-02', threats: ['G0016'], stack: 'EDR A', executions: 1 }]);
    const [e] = s.history();
    expect(e).toMatchObject({ technique: 'T1562.001', host: 'ws01', startedAt: '2024-11-02T09:30:00Z', exitStatus: 0 });
    expect(e!.outcomes).toMatchObject([{ outcome: 'alerted', rule: 'edr-tamper', recordedBy: 'alice', recordedAt: '2024-11-03T08:00:00Z' }]);
    // Version 2's provenance: empty for old rows, filled by new imports.
    expect(s.db.prepare('SELECT import FROM executions').pluck().all()).toEqual([null]);
    expect(s.imports()).toEqual([]);
    s.write({ records: [run({ file: 0 })], files: [{ name: 'log.csv', format: 'atomic-csv', sha256: 'ab'.repeat(32) }], recordedBy: 'carol' });
    expect(s.imports()).toMatchObject([{ file: 'log.csv', format: 'atomic-csv', importedBy: 'carol', executions: 1, outcomes: 1 }]);
    // The same log again adds nothing, not even an import row.
    s.write({ records: [run({ file: 0 })], files: [{ name: 'log.csv', format: 'atomic-csv', sha256: 'ab'.repeat(32) }] });
    expect(s.imports()).toHaveLength(1);
    s.close();
    // Reopening a migrated file changes nothing.
    const again = ResultsStore.open(path);
    open.push(again);
    expect(again.counts()).toEqual({ exercises: 2, executions: 2, outcomes: 2 });
  });
});
