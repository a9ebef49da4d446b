/**
 * `purplebook results` on the real knowledge base with logs written the way the tools write them
 * (fixtures.ts): each format's rows stored as the log says, revoked ids carried through the
 * crosswalk (expected ids from the raw STIX, not from src/), unknown rows warned and skipped,
 * re-imports adding nothing, exports that import back to the same store, and bad input.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseCsv } from '../../src/results/importers/csv.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, cli, fixtureDir, tempDir } from '../helpers.js';
import { atomicCsv, atomicTests, attireLog, calderaAbilities, calderaReport, daysAgo, type AtomicRun } from './fixtures.js';

interface Outcome { outcome: string; rule: string | null; alertId: string | null; note: string | null; recordedBy: string | null; recordedAt: string }
interface Execution {
  exercise: string; technique: string; techniqueRaw: string; source: string; testId: string; testName: string | null; platform: string | null;
  host: string; user: string | null; startedAt: string; endedAt: string | null; exitStatus: number | null; outcomes: Outcome[];
}

const utc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const csvLine = (cells: string[]) => cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');

describe('results import, set, list and export on the real knowledge base', () => {
  const kbPath = inject('kbPath');
  const dir = tempDir();
  const run = (args: string[], results = join(dir, 'results.db')) => cli(['results', ...args, '--db', kbPath, '--results', results]);
  const list = (results?: string) => {
    const r = run(['list', '--format', 'json'], results);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Execution[];
  };
  const revokedTarget = rawAttack().resolve('T1562.001');

  const mimikatz = atomicTests('T1059.001').find((t) => t.name === 'Mimikatz')!;
  const wmiUsers = atomicTests('T1047')[0]!;
  // A test that lived under T1562.001 before ATT&CK 19 revoked it: today's Atomic file is under its replacement.
  const tamper = atomicTests(revokedTarget[0]!)[0]!;
  const runs: AtomicRun[] = [
    { technique: 'T1059.001', test: mimikatz, host: 'WS01', user: 'CORP\\alice', start: daysAgo(10, 9, 0), exitCode: 0, pid: 4100 },
    { technique: 'T1047', test: wmiUsers, host: 'WS01', user: 'CORP\\alice', start: daysAgo(10, 9, 5), exitCode: 1, pid: 4101 },
    { technique: 'T1562.001', test: tamper, host: 'WS01', user: 'CORP\\alice', start: daysAgo(10, 9, 10), exitCode: 0, pid: 4102 },
    { technique: 'T9999', test: wmiUsers, host: 'WS01', user: 'CORP\\alice', start: daysAgo(10, 9, 15) },
    { technique: 'T1047', test: { ...wmiUsers, guid: '00000000-1111-2222-3333-444444444444' }, host: 'WS01', user: 'CORP\\alice', start: daysAgo(10, 9, 20) },
  ];
  const csv = join(dir, 'Invoke-AtomicTest-ExecutionLog.csv');
  writeFileSync(csv, atomicCsv(runs));

  it('Atomic CSV: one execution per known row as the log says; the revoked id carried; unknown rows named and skipped; a second import adds nothing', () => {
    expect(revokedTarget).toHaveLength(1);
    expect(tamper.folder).not.toBe('T1562.001');
    const r = run(['import', csv, '--exercise', 'Q2 purple', '--stack', 'EDR A', '--threats', 'G0016']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${csv}:5: technique "T9999": unknown to ATT&CK`);
    expect(r.stderr).toContain(`${csv}:6: unknown test "00000000-1111-2222-3333-444444444444" of atomic-red-team in the knowledge base (row skipped)`);
    expect(r.stderr).toContain('Imported 3 executions and 3 outcomes from 1 file');
    expect(r.stderr).toContain(`Revoked ids carried through the crosswalk: T1562.001 → ${revokedTarget[0]} (1)`);
    const rows = list().sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(rows.map((e) => [e.technique, e.techniqueRaw, e.source, e.testId, e.testName, e.host, e.user, e.startedAt, e.exitStatus, e.exercise])).toEqual(
      runs.slice(0, 3).map((x) => [x.technique === 'T1562.001' ? revokedTarget[0] : x.technique, x.technique, 'atomic-red-team', x.test.guid, x.test.name,
        'ws01', 'CORP\\alice', utc(x.start), x.exitCode, 'Q2 purple']),
    );
    expect(rows.every((e) => e.outcomes.length === 1 && e.outcomes[0]!.outcome === 'ran')).toBe(true);
    expect(rows[0]!.platform).toBe(mimikatz.platforms.length === 1 ? mimikatz.platforms[0] : null);

    const again = run(['import', csv]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Imported 0 executions and 0 outcomes');
    expect(again.stderr).toContain('Already recorded, left as they were: 3 executions, 3 outcomes');
    expect(list()).toHaveLength(3);
  });

  it('Attire: the same runs logged by the other logger are the same executions; new ones get their start, end and exit code', () => {
    const extra: AtomicRun = { technique: 'T1047', test: atomicTests('T1047')[1]!, host: 'ws01', user: 'CORP\\alice', start: daysAgo(10, 9, 30), stop: daysAgo(10, 9, 31), exitCode: 3 };
    const file = join(dir, 'attire.json');
    writeFileSync(file, attireLog([runs[0]!, runs[1]!, extra], { host: 'WS01', user: 'CORP\\alice' }));
    const r = run(['import', file, '--exercise', 'Q2 purple']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Imported 1 executions and 1 outcomes');
    expect(r.stderr).toContain('Already recorded, left as they were: 2 executions');
    const e = list().find((x) => x.testId === extra.test.guid)!;
    expect(e).toMatchObject({ technique: 'T1047', startedAt: utc(extra.start), endedAt: utc(extra.stop!), exitStatus: 3, host: 'ws01', testName: extra.test.name });
  });

  it('Caldera: links per agent with the agent\'s host and user; never-run links recorded as not-run; the operation names the exercise', () => {
    const collect = calderaAbilities('T1005')[0]!;
    const del = calderaAbilities('T1070.004')[0]!;
    const tamperAbility = calderaAbilities('T1562.001')[0]!;
    const file = join(dir, 'operation_report.json');
    const start = daysAgo(5, 14, 0);
    writeFileSync(file, calderaReport('Operation Orchid', start, [
      { paw: 'abcdef', host: 'SRV-DB1', username: 'svc_sql', platform: 'windows' },
      { paw: 'ghijkl', host: 'lin-web', username: 'www-data', platform: 'linux' },
    ], [
      { paw: 'abcdef', ability: collect, status: 0, delegated: daysAgo(5, 14, 1), run: daysAgo(5, 14, 2) },
      { paw: 'abcdef', ability: tamperAbility, status: 1, delegated: daysAgo(5, 14, 3), run: daysAgo(5, 14, 4) },
      { paw: 'ghijkl', ability: del, status: -2, delegated: daysAgo(5, 14, 5) },
    ]));
    const r = run(['import', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Imported 3 executions and 3 outcomes');
    const rows = list().filter((e) => e.source === 'caldera').sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    expect(rows.map((e) => [e.exercise, e.technique, e.techniqueRaw, e.testId, e.host, e.user, e.startedAt, e.outcomes.map((o) => [o.outcome, o.note])])).toEqual([
      ['Operation Orchid', 'T1005', 'T1005', collect.id, 'srv-db1', 'svc_sql', utc(daysAgo(5, 14, 1)), [['ran', null]]],
      ['Operation Orchid', revokedTarget[0], 'T1562.001', tamperAbility.id, 'srv-db1', 'svc_sql', utc(daysAgo(5, 14, 3)), [['ran', 'Caldera link status 1 (error)']]],
      ['Operation Orchid', 'T1070.004', 'T1070.004', del.id, 'lin-web', 'www-data', utc(daysAgo(5, 14, 5)), [['not-run', 'Caldera link status -2 (discarded)']]],
    ]);
    expect(rows[0]!.endedAt).toBe(utc(daysAgo(5, 14, 2)));
  });

  it('set marks the latest execution of a test (by Atomic number, GUID or ability id); history is kept', () => {
    const a = run(['set', 'T1059.001', '1', '--outcome', 'alerted', '--rule', 'Mimikatz via PowerShell', '--alert', 'SIEM-4711', '--by', 'bob']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain(`Recorded alerted (rule Mimikatz via PowerShell · alert SIEM-4711) for Atomic Red Team test ${mimikatz.guid} "Mimikatz" of T1059.001 on ws01`);
    expect(run(['set', 'T1059.001', mimikatz.guid, '--outcome', 'alerted', '--rule', 'Mimikatz via PowerShell', '--alert', 'SIEM-4711']).stderr).toContain('Already recorded');
    // The revoked id names the same technique as its replacement.
    expect(run(['set', 'T1562.001', tamper.guid, '--outcome', 'prevented', '--note', 'EDR blocked the service stop']).code).toBe(0);
    const ability = calderaAbilities('T1005')[0]!;
    expect(run(['set', 'T1005', ability.id, '--outcome', 'logged', '--host', 'srv-db1']).code).toBe(0);
    const rows = list();
    expect(rows.find((e) => e.testId === ability.id)!.outcomes.map((o) => o.outcome)).toEqual(['ran', 'logged']);
    expect(rows.find((e) => e.testId === mimikatz.guid)!.outcomes.map((o) => [o.outcome, o.rule, o.alertId, o.recordedBy])).toEqual([
      ['ran', null, null, expect.any(String)], ['alerted', 'Mimikatz via PowerShell', 'SIEM-4711', 'bob'],
    ]);
    expect(rows.find((e) => e.testId === tamper.guid)!.outcomes.map((o) => o.outcome)).toEqual(['ran', 'prevented']);
    const md = run(['list', '--technique', 'T1562.001']);
    expect(md.stdout).toContain(`| ${revokedTarget[0]} (logged as T1562.001) |`);
    expect(md.stdout).toContain('| prevented (2 recorded) | EDR blocked the service stop |');
  });

  it('the outcome sheet: plan --format csv written, filled in and imported: outcomes on the logged executions, new ones for tests without a log', () => {
    const plan = cli(['plan', '--group', 'G0016', '--platform', 'windows', '--format', 'csv', '--db', kbPath, '--results', join(dir, 'results.db')]);
    expect(plan.code, plan.stderr).toBe(0);
    const [header, ...cells] = parseCsv(plan.stdout).map((r) => r.cells);
    const col = (name: string) => header!.indexOf(name);
    expect(col('outcome')).toBeGreaterThan(0);
    const mimikatzRow = cells.find((c) => c[col('test_id')] === mimikatz.guid)!;
    expect(mimikatzRow[col('previous_outcome')]).toMatch(/^alerted \d{4}-\d{2}-\d{2} \(rule Mimikatz via PowerShell\)$/);
    const wmi = cells.find((c) => c[col('test_id')] === wmiUsers.guid)!;
    const unlogged = cells.find((c) => c[col('source')] === 'atomic-red-team' && c[col('technique')] === 'T1053.005')!;
    wmi[col('outcome')] = 'logged';
    wmi[col('note')] = 'seen in Sysmon, no alert';
    unlogged[col('outcome')] = 'not-detected';
    unlogged[col('host')] = 'WS02';
    const bogus = [...unlogged];
    bogus[col('outcome')] = 'maybe';
    const sheet = join(dir, 'sheet.csv');
    writeFileSync(sheet, [header!, ...cells, bogus].map(csvLine).join('\r\n'));
    const r = run(['import', sheet, '--exercise', 'Q2 purple']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${sheet}:${cells.length + 2}: unknown outcome "maybe"`);
    expect(r.stderr).toContain('Imported 1 executions and 2 outcomes');
    expect(r.stderr).toContain(`${cells.length - 2} rows of the sheet without an outcome or a start time`);
    const rows = list();
    expect(rows.find((e) => e.testId === wmiUsers.guid)!.outcomes.map((o) => [o.outcome, o.note])).toEqual([['ran', null], ['logged', 'seen in Sysmon, no alert']]);
    const created = rows.find((e) => e.testId === unlogged[col('test_id')])!;
    expect(created).toMatchObject({ technique: 'T1053.005', host: 'ws02', startedAt: '', exercise: 'Q2 purple' });
    expect(run(['import', sheet, '--exercise', 'Q2 purple']).stderr).toContain('Imported 0 executions and 0 outcomes');
  });

  it('export (JSON and CSV) imports into an empty file as the same store: exporting again gives the same document', () => {
    for (const format of ['json', 'csv']) {
      const first = run(['export', '--format', format]);
      expect(first.code, first.stderr).toBe(0);
      const file = join(dir, `export.${format}`);
      writeFileSync(file, first.stdout);
      const other = join(dir, `copy-${format}.db`);
      const imported = run(['import', file], other);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stderr).not.toContain('warning');
      expect(run(['export', '--format', format], other).stdout).toBe(first.stdout);
      expect(run(['import', file], other).stderr).toContain('Imported 0 executions and 0 outcomes');
    }
    const out = join(dir, 'written.json');
    expect(run(['export', '--out', out]).code).toBe(0);
  });

  it('trend: validated techniques per exercise in date order', () => {
    const r = run(['trend', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { exercise: string; validated: number; validatedToDate: number; tested: number }[];
    // Q2 purple (10 days ago): T1059.001 alerted naming its rule, the revoked id's replacement prevented.
    expect(rows.map((x) => [x.exercise, x.validated, x.validatedToDate])).toEqual([['Q2 purple', 2, 2], ['Operation Orchid', 0, 2]]);
  });

  it('bad input exits 2 with one line: missing or unreadable files, unknown format, nothing importable, unknown test, alerted without rule, unknown exercise', () => {
    const results = join(dir, 'results.db');
    const before = run(['export']).stdout;
    const bad = (args: string[], re: RegExp, file = results) => {
      const r = run(args, file);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(4);
    };
    bad(['import', join(dir, 'nope.csv')], /nope\.csv does not exist \(expected a results file/);
    bad(['import', dir], /is a folder, expected a results file/);
    bad(['import', csv, '--format', 'excel'], /--format must be one of atomic-csv, attire, caldera, sheet, purplebook-json/);
    const unknown = join(dir, 'unknown.csv');
    writeFileSync(unknown, atomicCsv([runs[3]!, runs[4]!]));
    bad(['import', unknown], /nothing to import from .*unknown\.csv: every row was left out/);
    // A good file with a bad one: nothing of either is written.
    bad(['import', csv, join(dir, 'nope.csv')], /does not exist/);
    bad(['import', csv, '--date', '2025-01-01'], /--exercise NAME/);
    bad(['set', 'T1059.001', '99', '--outcome', 'ran'], /unknown test "99" for T1059\.001; its tests include: /);
    bad(['set', 'T1059.001', wmiUsers.guid, '--outcome', 'ran'], /is a test of T1047, not of T1059\.001/);
    bad(['set', 'T1059.001', '1', '--outcome', 'alerted'], /needs --rule/);
    bad(['set', 'T1059.001', '1', '--outcome', 'fired'], /--outcome must be one of/);
    bad(['set', 'T9999', '1', '--outcome', 'ran'], /technique "T9999": unknown/);
    bad(['list', '--exercise', 'Q3'], /unknown exercise "Q3"; known: /);
    bad(['list'], /no results file at .*missing\.db/, join(dir, 'missing.db'));
    expect(run(['export']).stdout).toBe(before);
  });
});

describe('the results file beside the knowledge base', () => {
  it('is results.db next to --db by default ($PURPLEBOOK_RESULTS overrides); build never touches it; deleting the knowledge base loses no result', () => {
    const kbPath = inject('kbPath');
    const dir = tempDir();
    const db = join(dir, 'purplebook.db');
    copyFileSync(kbPath, db);
    const test = atomicTests('T1047')[0]!;
    const log = join(dir, 'log.csv');
    writeFileSync(log, atomicCsv([{ technique: 'T1047', test, host: 'ws1', user: 'u', start: daysAgo(1) }]));
    const imp = cli(['results', 'import', log, '--db', db]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toContain(`into ${join(dir, 'results.db')}`);
    const before = readFileSync(join(dir, 'results.db'));

    const small = fixtureDir({ 'attack/ics-attack.json': readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json')) });
    const built = cli(['build', '--data', small, '--db', db, '--quiet']);
    expect(built.code, built.stderr).toBe(0);
    expect(readFileSync(join(dir, 'results.db')).equals(before)).toBe(true);

    rmSync(db);
    const listed = cli(['results', 'list', '--format', 'json', '--db', db]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Execution[]).map((e) => [e.technique, e.testId])).toEqual([['T1047', test.guid]]);
    const other = join(dir, 'elsewhere.db');
    expect(cli(['results', 'list', '--db', db], { PURPLEBOOK_RESULTS: other }).stderr).toContain(`no results file at ${other}`);
  });
});
