import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlLib } from 'yaml';
import { CAR_COMMAND_MAX, carCoverage, carKind, carLanguages, carSource, carUnitTestsSource } from '../../src/sources/car.js';
import { collectSource } from '../../src/sources/collect.js';
import { walkFiles } from '../../src/sources/lib/files.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

function resolvedIds(a: AttackIndex, raw: string): string[] {
  const r = resolveTechniqueId(a, raw);
  return r.kind === 'ok' || r.kind === 'unknown' ? [r.id] : r.kind === 'revoked' ? r.ids : [];
}

function byTechnique(a: AttackIndex, records: ResourceRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) for (const t of r.techniques) for (const id of resolvedIds(a, t.id)) {
    if (!out.has(id)) out.set(id, new Set());
    out.get(id)!.add(r.key);
  }
  return out;
}

const REAL = 'car/analytics/CAR-2013-02-003.yaml';
const REAL_TWICE = 'car/analytics/CAR-2014-04-003.yaml';
const REAL_TESTS = 'car/analytics/CAR-2016-04-002.yaml';

const analytic = (id: string, extra: string[] = [], coverage: string[] = ['  - technique: T1021', '    subtechniques:', '      - T1021.004', '    tactics: [TA0008]', '    coverage: Low']) => [
  `title: Analytic ${id}`,
  'submission_date: 2020/01/02',
  'information_domain: Host',
  'platforms: [Linux]',
  'subtypes: [Process]',
  'analytic_types: [TTP]',
  'contributors: [Someone]',
  `id: ${id}`,
  'description: Something.',
  'coverage:',
  ...coverage,
  ...extra,
].join('\n');

describe('car fixtures', () => {
  const files = {
    [REAL]: readFileSync(join(DATA_DIR, REAL)),
    [REAL_TWICE]: readFileSync(join(DATA_DIR, REAL_TWICE)),
    [REAL_TESTS]: readFileSync(join(DATA_DIR, REAL_TESTS)),
    'car/analytics/CAR-2020-01-001.yaml': analytic('CAR-2020-01-001', [
      'implementations:', '  - {type: psuedocode}', '  - {type: splunk}', '  - {type: Splunk}', '  - {type: Chronicle}', '  - {code: x}',
      'unit_tests:',
      '  - configurations: [Ubuntu 22.04]',
      '    description: [first part, second part]',
      `    commands: ['ssh localhost', '${'x'.repeat(3000)}']`,
      '  - just a string',
      '  - description: commands not a list',
      '    commands: whoami',
    ]),
    'car/analytics/odd-name.yaml': analytic('not-a-car-id', ['unit_tests:', '  - description: run it']),
    'car/analytics/bad/nested.yaml': analytic('CAR-2020-01-009'),
    'car/analytics/bad_coverage_string.yaml': analytic('CAR-2020-01-002', ['unit_tests: run everything'], []).replace('coverage:', 'coverage: T1059'),
    'car/analytics/bad_coverage_entries.yaml': analytic('CAR-2020-01-003', [], [
      '  - T1059', '  - technique: 1059', '    coverage: High', '  - technique: T1003', '    subtechniques: T1003.001', '    coverage: High',
      '  - technique: T1005', '    subtechniques: [T1003.002, 7]', '    coverage: Low',
    ]),
    'car/analytics/bad_types.yaml': analytic('CAR-2020-01-004').replace('platforms: [Linux]', 'platforms: Linux').replace('description: Something.', 'description: [a]'),
    'car/analytics/ten_thousand.yaml': analytic('CAR-2020-01-005', [], Array.from({ length: 5_000 }, (_, i) => `  - {technique: T${String(i).padStart(4, '0')}, subtechniques: [T${String(i).padStart(4, '0')}.001], coverage: Low}`)),
    'car/analytics/syntax.yaml': 'title: x\n  id: [',
    'car/analytics/no_title.yaml': 'id: CAR-2020-01-006\n',
    'car/analytics/scalar.yaml': '- a list\n',
    'car/analytics/empty.yaml': '',
    'car/analytics/not_utf8.yaml': Buffer.concat([Buffer.from('title: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    'car/analytics/deep.yaml': `title: deep\nx: ${'['.repeat(100)}${']'.repeat(100)}\n`,
    // Not analytic files.
    'car/analytics/CAR-2020-01-007.md': '# page',
    'car/data_model/process.yaml': 'name: process\n',
  };
  const fileLevel = ['deep', 'empty', 'no_title', 'not_utf8', 'scalar', 'syntax'];

  it('car: one resource per analytic, coverage to techniques and sub-techniques, every malformed file warned', async () => {
    const { records, warnings } = await collectSource(carSource, { dataDir: fixtureDir(files), attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual([
      'analytics/CAR-2013-02-003.yaml', 'analytics/CAR-2014-04-003.yaml', 'analytics/CAR-2016-04-002.yaml', 'analytics/CAR-2020-01-001.yaml',
      'analytics/bad_coverage_entries.yaml', 'analytics/bad_coverage_string.yaml', 'analytics/bad_types.yaml', 'analytics/odd-name.yaml', 'analytics/ten_thousand.yaml',
    ]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    const warned = (file: string) => warnings.filter((w) => w.file === `car/analytics/${file}`).map((w) => w.reason);

    expect(byKey.get('analytics/CAR-2013-02-003.yaml')).toEqual({
      key: 'analytics/CAR-2013-02-003.yaml',
      upstreamId: 'CAR-2013-02-003',
      title: 'Processes Spawning cmd.exe',
      url: 'https://car.mitre.org/analytics/CAR-2013-02-003/',
      breadcrumb: [],
      description: expect.stringMatching(/^The Windows \[Command Prompt\]/),
      deprecated: false,
      file: REAL,
      kind: 'rule', // pseudocode and a DNIF implementation
      meta: {
        id: 'CAR-2013-02-003', platforms: ['Windows'], informationDomain: 'Host', subtypes: ['Process'], analyticTypes: ['Situational Awareness'],
        languages: ['Pseudocode', 'DNIF', 'LogPoint'], dataModel: ['process/create/exe', 'process/create/parent_exe'], coverage: 'Moderate',
        tactics: ['TA0002'], d3fend: ['D3-PLA'], author: 'MITRE', date: '2013-02-05', unitTests: 1,
      },
      // Both data-model references are process/create; the pseudocode is the logic shown.
      facets: { platforms: ['windows'], logSources: [{ scheme: 'car', name: 'process/create' }] },
      logic: {
        language: 'pseudocode',
        text: (parseYamlLib(readFileSync(join(DATA_DIR, REAL), 'utf8')) as { implementations: { type: string; code: string }[] })
          .implementations.find((i) => i.type === 'pseudocode')!.code.trimEnd(),
      },
      techniques: [{ id: 'T1059', note: 'Coverage: Moderate' }, { id: 'T1059.003', note: 'Coverage: Moderate' }],
    });
    // T1059 is listed twice (two tactics, two levels): one pair each, both levels kept.
    expect(byKey.get('analytics/CAR-2014-04-003.yaml')).toMatchObject({
      techniques: [{ id: 'T1059', note: 'Coverage: High / Moderate' }, { id: 'T1059.001', note: 'Coverage: High / Moderate' }],
      meta: { coverage: 'High / Moderate', tactics: ['TA0002', 'TA0005'], languages: ['Pseudocode', 'Splunk', 'EQL', 'DNIF', 'LogPoint'] },
    });
    expect(byKey.get('analytics/CAR-2020-01-001.yaml')).toMatchObject({
      techniques: [{ id: 'T1021', note: 'Coverage: Low' }, { id: 'T1021.004', note: 'Coverage: Low' }],
      meta: { languages: ['Pseudocode', 'Splunk', 'Chronicle'], date: '2020-01-02', unitTests: 3 },
    });
    expect(warned('CAR-2020-01-001.yaml')).toEqual([]);

    const odd = byKey.get('analytics/odd-name.yaml')!;
    expect([odd.upstreamId, odd.url]).toEqual(['not-a-car-id', 'https://github.com/mitre-attack/car/blob/master/analytics/odd-name.yaml']);
    expect(warned('odd-name.yaml')).toEqual(['no CAR id (`id` or file name CAR-YYYY-MM-NNN): linked to GitHub']);

    expect(byKey.get('analytics/bad_coverage_string.yaml')!.techniques).toEqual([]);
    expect(warned('bad_coverage_string.yaml')).toEqual(['`coverage` is a string, not a list: ignored']);
    expect(byKey.get('analytics/bad_coverage_entries.yaml')!.techniques.map((t) => t.id)).toEqual(['T1003', 'T1005', 'T1003.002']);
    expect(warned('bad_coverage_entries.yaml')).toEqual([
      '`coverage` holds entries that are not mappings: they are ignored',
      'a `coverage` entry has no `technique` string',
      '`coverage.subtechniques` is a string, not a list: ignored',
      '`coverage.subtechniques` holds entries that are not strings: they are ignored',
      'sub-technique T1003.002 is listed under T1005: kept as written',
    ]);
    expect(byKey.get('analytics/bad_types.yaml')!.meta).not.toHaveProperty('platforms');
    expect(warned('bad_types.yaml')).toEqual(['`description` is a list, not a string: ignored', '`platforms` is a string, not a list: ignored']);
    expect(byKey.get('analytics/ten_thousand.yaml')!.techniques).toHaveLength(1000);
    expect(warned('ten_thousand.yaml')).toEqual(['10000 technique references, over the limit of 1000: the first 1000 kept']);

    expect(warned('syntax.yaml')).toEqual([expect.stringMatching(/^YAML: /)]);
    expect(warned('no_title.yaml')).toEqual(['not an analytic: no `title`']);
    expect(warned('scalar.yaml')).toEqual(['not an analytic: the document is a list']);
    expect(warned('empty.yaml')).toEqual(['empty file']);
    expect(warned('not_utf8.yaml')).toEqual(['not valid UTF-8']);
    expect(warned('deep.yaml')).toEqual(['YAML: nested deeper than 64 levels']);
    expect([...new Set(warnings.map((w) => w.file))].sort()).toEqual(
      [...fileLevel, 'bad_coverage_entries', 'bad_coverage_string', 'bad_types', 'odd-name', 'ten_thousand'].sort().map((n) => `car/analytics/${n}.yaml`),
    );
  });

  it('car-unit-tests: one resource per unit test with the analytic mapping; commands capped', async () => {
    const { records, warnings } = await collectSource(carUnitTestsSource, { dataDir: fixtureDir(files), attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual([
      'analytics/CAR-2013-02-003.yaml#1',
      'analytics/CAR-2016-04-002.yaml#1', 'analytics/CAR-2016-04-002.yaml#2', 'analytics/CAR-2016-04-002.yaml#3', 'analytics/CAR-2016-04-002.yaml#4',
      'analytics/CAR-2020-01-001.yaml#1', 'analytics/CAR-2020-01-001.yaml#3',
      'analytics/odd-name.yaml#1',
    ]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    const warned = (file: string) => warnings.filter((w) => w.file === `car/analytics/${file}`).map((w) => w.reason);
    expect(byKey.get('analytics/CAR-2013-02-003.yaml#1')).toEqual({
      key: 'analytics/CAR-2013-02-003.yaml#1',
      upstreamId: 'CAR-2013-02-003#test-1',
      title: 'Processes Spawning cmd.exe: test case 1',
      url: 'https://car.mitre.org/analytics/CAR-2013-02-003/#test-case-1',
      breadcrumb: ['CAR-2013-02-003'],
      description: 'Within a command prompt or powershell, run cmd.exe',
      deprecated: false,
      file: REAL,
      meta: { analytic: 'CAR-2013-02-003', testCase: 1, testCases: 1, configurations: ['Windows 7'], platforms: ['Windows'] },
      facets: { platforms: ['windows'] },
      techniques: [{ id: 'T1059', note: 'Coverage: Moderate' }, { id: 'T1059.003', note: 'Coverage: Moderate' }],
    });
    expect(byKey.get('analytics/CAR-2016-04-002.yaml#3')).toMatchObject({
      meta: {
        analytic: 'CAR-2016-04-002', testCase: 3, testCases: 4, commandCount: 2, platforms: ['Windows', 'Linux', 'macOS'],
        commands: 'del C:\\Windows\\System32\\winevt\\logs\\Security.evtx\nRemove-Item C:\\Windows\\System32\\winevt\\logs\\Security.evtx',
      },
      facets: { platforms: ['windows', 'linux', 'macos'] },
      techniques: [{ id: 'T1070' }, { id: 'T1070.001' }],
    });
    const mine = byKey.get('analytics/CAR-2020-01-001.yaml#1')!;
    expect(mine.description).toBe('first part second part');
    expect(mine.meta).toMatchObject({ configurations: ['Ubuntu 22.04'], commandCount: 2 });
    expect((mine.meta!.commands as string).length).toBe(CAR_COMMAND_MAX);
    expect(mine.meta!.commands).toMatch(/^ssh localhost\nxxx.*…$/);
    expect(byKey.get('analytics/CAR-2020-01-001.yaml#3')!.meta).not.toHaveProperty('commands');
    expect(warned('CAR-2020-01-001.yaml')).toEqual(['unit test #2 is not a mapping: skipped', 'unit test #3: `commands` is a string, not a list: ignored']);
    expect(warned('bad_coverage_string.yaml')).toEqual(['`unit_tests` is a string, not a list: ignored']);
    expect(byKey.get('analytics/odd-name.yaml#1')!.url).toBe('https://github.com/mitre-attack/car/blob/master/analytics/odd-name.yaml');
    // Coverage problems are the `car` source's to report; file-level ones are reported by both.
    expect(warned('bad_coverage_entries.yaml')).toEqual([]);
    expect([...new Set(warnings.map((w) => w.file))].sort()).toEqual(
      [...fileLevel, 'CAR-2020-01-001', 'bad_coverage_string'].sort().map((n) => `car/analytics/${n}.yaml`),
    );
  });

  it('helpers', () => {
    expect(carLanguages([{ type: 'pseudocode' }, { type: 'Pseudocode' }, { type: 'EQL' }, 'x', { type: 3 }])).toEqual(['Pseudocode', 'EQL']);
    expect(carLanguages('Splunk')).toEqual([]);
    // An analytic is an executable rule when it carries code for a SIEM; pseudocode alone is guidance.
    expect(carKind([{ type: 'pseudocode' }, { type: 'Pseudocode' }, { type: 'psuedocode' }])).toBe('guidance');
    expect(carKind([{ type: 'pseudocode' }, { type: 'splunk' }])).toBe('rule');
    expect(carKind([{ type: 'LogPoint' }])).toBe('rule');
    expect(carKind(undefined)).toBe('guidance');
    expect(carKind([{ code: 'x' }, 'Splunk'])).toBe('guidance');
    expect(carCoverage([{ technique: 'T1003', subtechniques: ['T1003.001', 't1003.001'], coverage: 'Low', tactics: ['TA0006'] }])).toEqual({
      techniques: [{ id: 'T1003', note: 'Coverage: Low' }, { id: 'T1003.001', note: 'Coverage: Low' }], tactics: ['TA0006'], levels: ['Low'], problems: [],
    });
    expect(carCoverage([{ technique: 'T1003' }]).techniques).toEqual([{ id: 'T1003' }]);
  });
});

describe('car on the shared data', () => {
  const FIXED = ['T1059.001', 'T1021.004', 'T1003.001', 'T1003', 'T1078', 'T1055', 'T1547.001', 'T1105', 'T1053.005', 'T1112', 'T1070.001', 'T1490', 'T1021'];
  type Any = Record<string, unknown>;

  /** Independent reading with the yaml library: analytics, and each unit test as its own item. */
  function independent() {
    const root = join(DATA_DIR, 'car');
    const files = walkFiles(root, (name, rel) => rel.startsWith('analytics/') && name.endsWith('.yaml'));
    const analytics = new Map<string, number>();
    const tests = new Map<string, number>();
    let pairs = 0;
    let testPairs = 0;
    let testCount = 0;
    for (const f of files) {
      const doc = parseYamlLib(readFileSync(join(root, f), 'utf8')) as Any;
      const ids = new Set<string>();
      for (const c of (doc.coverage ?? []) as Any[]) {
        for (const raw of [c.technique as string, ...((c.subtechniques ?? []) as string[])]) for (const id of rawAttack().resolve(raw)) ids.add(id);
      }
      const n = ((doc.unit_tests ?? []) as unknown[]).length;
      testCount += n;
      pairs += ids.size;
      testPairs += ids.size * n;
      for (const id of ids) {
        analytics.set(id, (analytics.get(id) ?? 0) + 1);
        tests.set(id, (tests.get(id) ?? 0) + n);
      }
    }
    for (const [k, v] of tests) if (!v) tests.delete(k);
    return { files: files.length, analytics, tests, pairs, testPairs, testCount };
  }

  it('matches an independent count per technique and in total, for analytics and unit tests', async () => {
    const a = realAttack();
    const ind = independent();
    const car = await collectSource(carSource, { dataDir: DATA_DIR, attack: a });
    const tests = await collectSource(carUnitTestsSource, { dataDir: DATA_DIR, attack: a });
    expect([car.warnings, tests.warnings]).toEqual([[], []]);
    expect(car.records.length).toBe(ind.files);
    expect(tests.records.length).toBe(ind.testCount);
    const gotA = byTechnique(a, car.records);
    const gotT = byTechnique(a, tests.records);
    expect([...gotA.values()].reduce((n, s) => n + s.size, 0)).toBe(ind.pairs);
    expect([...gotT.values()].reduce((n, s) => n + s.size, 0)).toBe(ind.testPairs);
    expect([gotA.size, gotT.size]).toEqual([ind.analytics.size, ind.tests.size]);
    for (const t of FIXED) {
      expect([t, gotA.get(t)?.size ?? 0]).toEqual([t, ind.analytics.get(t) ?? 0]);
      expect([t, gotT.get(t)?.size ?? 0]).toEqual([t, ind.tests.get(t) ?? 0]);
    }
    // Computed once by a separate script (Python PyYAML) over the raw files.
    // Per-technique numbers depend on the ATT&CK release's revocations: compared above, not pinned.
    expect([ind.files, ind.testCount]).toEqual([102, 68]);
    expect(car.records.every((r) => /^https:\/\/car\.mitre\.org\/analytics\/CAR-\d{4}-\d{2}-\d{3}\/$/.test(r.url!))).toBe(true);
  });
});
