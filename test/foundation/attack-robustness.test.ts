import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAttack } from '../../src/attack/load.js';
import type { AttackWarning } from '../../src/attack/types.js';
import { DEFAULT_LIMITS } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir } from '../helpers.js';

const FILE = 'attack/ics-attack.json';
type Obj = Record<string, unknown>;

const ref = (external_id: string, source_name = 'mitre-ics-attack') => [{ source_name, external_id, url: `https://attack.mitre.org/x/${external_id}` }];

/** A small ICS bundle: one matrix and tactic, two techniques, a mitigation, a detection strategy, a group. */
function objects(): Obj[] {
  return [
    { type: 'x-mitre-matrix', id: 'x-mitre-matrix--1', name: 'ICS ATT&CK', tactic_refs: ['x-mitre-tactic--1'], external_references: ref('ics-attack') },
    { type: 'x-mitre-tactic', id: 'x-mitre-tactic--1', name: 'Initial Access', x_mitre_shortname: 'initial-access', external_references: ref('TA0108') },
    {
      type: 'attack-pattern', id: 'attack-pattern--0800', name: 'Activate Firmware Update Mode', description: 'Put the device in update mode.',
      external_references: ref('T0800'), kill_chain_phases: [{ kill_chain_name: 'mitre-ics-attack', phase_name: 'initial-access' }],
      x_mitre_platforms: ['None'], x_mitre_version: '1.1', modified: '2024-01-01T00:00:00.000Z',
    },
    {
      type: 'attack-pattern', id: 'attack-pattern--0801', name: 'Monitor Process State', description: 'Watch the process.',
      external_references: ref('T0801'), kill_chain_phases: [{ kill_chain_name: 'mitre-ics-attack', phase_name: 'initial-access' }],
    },
    { type: 'course-of-action', id: 'course-of-action--0800', name: 'Access Management', description: 'Restrict access.', external_references: ref('M0800') },
    { type: 'relationship', id: 'relationship--m', relationship_type: 'mitigates', source_ref: 'course-of-action--0800', target_ref: 'attack-pattern--0800', description: 'Only operators.' },
    { type: 'x-mitre-detection-strategy', id: 'x-mitre-detection-strategy--1', name: 'Detect state polling', external_references: ref('DET0001'), x_mitre_analytic_refs: ['x-mitre-analytic--1'] },
    {
      type: 'x-mitre-analytic', id: 'x-mitre-analytic--1', name: 'Polling analytic', description: 'Count reads.', external_references: ref('AN0001'),
      x_mitre_platforms: ['None'], x_mitre_log_source_references: [{ name: 'Network Traffic', channel: 'read' }],
    },
    { type: 'relationship', id: 'relationship--d', relationship_type: 'detects', source_ref: 'x-mitre-detection-strategy--1', target_ref: 'attack-pattern--0801' },
    { type: 'intrusion-set', id: 'intrusion-set--1', name: 'Sandworm', aliases: ['Sandworm', 'ELECTRUM'], external_references: ref('G0034') },
    { type: 'relationship', id: 'relationship--u', relationship_type: 'uses', source_ref: 'intrusion-set--1', target_ref: 'attack-pattern--0800' },
  ];
}

const bundleText = (objs: Obj[]) => JSON.stringify({ type: 'bundle', id: 'bundle--1', spec_version: '2.0', objects: objs });

function load(content: string | Buffer, limits = DEFAULT_LIMITS) {
  const warnings: AttackWarning[] = [];
  const attack = loadAttack(fixtureDir({ [FILE]: content }), (w) => warnings.push(w), limits);
  return { attack, warnings };
}

/** The fixture with one field of one object replaced. */
function damaged(id: string, field: string, value: unknown): string {
  return bundleText(objects().map((o) => (o.id === id ? { ...o, [field]: value } : o)));
}

/** What the loaded index holds, in a form that compares whole. */
function summary(r: ReturnType<typeof load>) {
  const a = r.attack;
  return {
    domains: a.domains.map((d) => d.domain),
    techniques: [...a.techniques.keys()],
    mitigations: [...a.mitigations.keys()],
    uses: a.mitigationUses.map((u) => `${u.mitigation}>${u.technique}`),
    detections: a.detectionStrategies.map((d) => `${d.id}:${d.analytics.map((x) => x.id).join(',')}>${d.techniques.join(',')}`),
    actors: a.actors.map((x) => `${x.id}>${x.techniques.join(',')}`),
  };
}

const FULL = {
  domains: ['ics-attack'], techniques: ['T0800', 'T0801'], mitigations: ['M0800'], uses: ['M0800>T0800'],
  detections: ['DET0001:AN0001>T0801'], actors: ['G0034>T0800'],
};

describe('ATT&CK loader: the fixture bundle', () => {
  it('loads whole and without warnings', () => {
    const r = load(bundleText(objects()));
    expect(r.warnings).toEqual([]);
    expect(summary(r)).toEqual(FULL);
    expect(r.attack.domains[0]!.spec).toBe('2.0');
  });
});

describe('ATT&CK loader: wrong-typed fields skip the object, named, and the rest loads', () => {
  const cases: [string, string, unknown, string, Partial<typeof FULL>][] = [
    ['attack-pattern--0801', 'external_references', 'T0801', 'field "external_references" is a string, expected a list of external references with string fields',
      { techniques: ['T0800'], detections: ['DET0001:AN0001>'] }],
    ['attack-pattern--0801', 'external_references', [{ source_name: 'mitre-ics-attack', external_id: 801 }],
      'field "external_references" holds an entry whose "external_id" is a number, expected a list of external references with string fields',
      { techniques: ['T0800'], detections: ['DET0001:AN0001>'] }],
    ['attack-pattern--0800', 'kill_chain_phases', {}, 'field "kill_chain_phases" is an object, expected a list of kill chain phases with string fields',
      { techniques: ['T0801'], uses: [], actors: ['G0034>'] }],
    ['attack-pattern--0800', 'description', ['a'], 'field "description" is a list, expected a string',
      { techniques: ['T0801'], uses: [], actors: ['G0034>'] }],
    ['attack-pattern--0800', 'x_mitre_platforms', ['Windows', 7], 'field "x_mitre_platforms" holds a number, expected a list of strings',
      { techniques: ['T0801'], uses: [], actors: ['G0034>'] }],
    ['course-of-action--0800', 'revoked', 42, 'field "revoked" is a number, expected true or false', { mitigations: [], uses: [] }],
    ['course-of-action--0800', 'name', null, 'field "name" is null, expected a string', { mitigations: [], uses: [] }],
    ['relationship--m', 'source_ref', true, 'field "source_ref" is a boolean, expected a string', { uses: [] }],
    ['x-mitre-analytic--1', 'x_mitre_log_source_references', ['Network Traffic'],
      'field "x_mitre_log_source_references" holds a string, expected a list of log source references with string fields', { detections: ['DET0001:>T0801'] }],
    ['intrusion-set--1', 'aliases', 'Sandworm', 'field "aliases" is a string, expected a list of strings', { actors: [] }],
    ['x-mitre-tactic--1', 'x_mitre_shortname', 1, 'field "x_mitre_shortname" is a number, expected a string', {}],
    ['relationship--d', 'type', 5, 'field "type" is a number, expected a string', { detections: ['DET0001:AN0001>'] }],
  ];

  it.each(cases)('%s %s', (id, field, value, reason, changed) => {
    const r = load(damaged(id, field, value));
    const expected = [{ file: FILE, reason: `${id}: ${reason}: object skipped` }];
    if (id === 'x-mitre-tactic--1') {
      // Without its tactic the matrix is empty, which the loader says too.
      expected.push(
        { file: FILE, reason: 'matrix "ICS ATT&CK" names tactic x-mitre-tactic--1, which is missing or incomplete' },
        { file: FILE, reason: 'technique T0800 names no tactic of the ics-attack matrix' },
        { file: FILE, reason: 'technique T0801 names no tactic of the ics-attack matrix' },
      );
    }
    expect(r.warnings).toEqual(expected);
    expect(summary(r)).toEqual({ ...FULL, ...changed });
  });

  it('fields the loader does not read may hold anything', () => {
    const r = load(damaged('attack-pattern--0800', 'created', 42));
    expect(r.warnings).toEqual([]);
    expect(summary(r)).toEqual(FULL);
  });

  it('an object with an id but no type is named; objects without an id are counted', () => {
    const objs: Obj[] = [...objects(), { id: 'attack-pattern--9' }, { type: 'attack-pattern' }, 7 as unknown as Obj, null as unknown as Obj, [] as unknown as Obj];
    const r = load(bundleText(objs));
    expect(r.warnings).toEqual([
      { file: FILE, reason: 'attack-pattern--9: no "type": object skipped' },
      { file: FILE, reason: '4 object(s) without a type or id: ignored' },
    ]);
    expect(summary(r)).toEqual(FULL);
  });

  it('a wrong-typed spec_version is ignored with a warning', () => {
    const r = load(JSON.stringify({ type: 'bundle', spec_version: 2, objects: objects() }));
    expect(r.warnings).toEqual([{ file: FILE, reason: 'bundle field "spec_version" is a number, expected a string: ignored' }]);
    expect(summary(r)).toEqual(FULL);
  });
});

describe('ATT&CK loader: malformed ATT&CK ids', () => {
  const withId = (objId: string, ext: string) => bundleText(objects().map((o) => (o.id === objId ? { ...o, external_references: ref(ext) } : o)));

  it.each([
    ['attack-pattern--0801', 'T0801\u0000', 'ATT&CK id "T0801\\u0000" is not a well-formed technique id (T1234 or T1234.567)'],
    ['attack-pattern--0801', 'T08 01', 'ATT&CK id "T08 01" is not a well-formed technique id (T1234 or T1234.567)'],
    ['attack-pattern--0801', 'T0801.1', 'ATT&CK id "T0801.1" is not a well-formed technique id (T1234 or T1234.567)'],
  ])('%s with %j is skipped', (id, ext, reason) => {
    const r = load(withId(id, ext));
    expect(r.warnings).toEqual([{ file: FILE, reason: `${id}: ${reason}: object skipped` }]);
    expect(summary(r)).toEqual({ ...FULL, techniques: ['T0800'], detections: ['DET0001:AN0001>'] });
  });

  it('mitigation, group, detection strategy and analytic ids are checked as well', () => {
    const objs = objects().map((o) => {
      const bad: Record<string, string> = {
        'course-of-action--0800': 'M08 00', 'intrusion-set--1': 'G0034\u0000', 'x-mitre-detection-strategy--1': 'DET1', 'x-mitre-analytic--1': 'AN 0001',
      };
      return bad[o.id as string] ? { ...o, external_references: ref(bad[o.id as string]!) } : o;
    });
    const r = load(bundleText(objs));
    expect(r.warnings).toEqual([
      { file: FILE, reason: 'course-of-action--0800: ATT&CK id "M08 00" is not a well-formed mitigation id (M1234): object skipped' },
      { file: FILE, reason: 'x-mitre-detection-strategy--1: ATT&CK id "DET1" is not a well-formed detection strategy id (DET1234): object skipped' },
      { file: FILE, reason: 'x-mitre-analytic--1: ATT&CK id "AN 0001" is not a well-formed analytic id (AN1234): object skipped' },
      { file: FILE, reason: 'intrusion-set--1: ATT&CK id "G0034\\u0000" is not a well-formed group id (G1234): object skipped' },
    ]);
    expect(summary(r)).toEqual({ ...FULL, mitigations: [], uses: [], detections: [], actors: [] });
  });

  it('case and surrounding blanks are spelling, not damage', () => {
    const r = load(withId('attack-pattern--0801', ' t0801 '));
    expect(r.warnings).toEqual([]);
    expect(summary(r)).toEqual(FULL);
  });
});

describe('ATT&CK loader: file-level damage', () => {
  it('a leading BOM is dropped', () => {
    const r = load(`\uFEFF${bundleText(objects())}`);
    expect(r.warnings).toEqual([]);
    expect(summary(r)).toEqual(FULL);
  });

  it('invalid UTF-8 refuses the file with one warning', () => {
    const text = Buffer.from(bundleText(objects()), 'utf8');
    const at = text.indexOf('Restrict');
    const bytes = Buffer.concat([text.subarray(0, at), Buffer.from([0xff, 0xfe]), text.subarray(at)]);
    const r = load(bytes);
    expect(r.warnings).toEqual([{ file: FILE, reason: 'not valid UTF-8' }]);
    expect(r.attack.domains).toEqual([]);
    expect(r.attack.techniques.size).toBe(0);
  });

  it('a bundle over maxBundleBytes is refused by its size, before it is read', () => {
    const text = bundleText(objects());
    const size = Buffer.byteLength(text);
    const r = load(text, { ...DEFAULT_LIMITS, maxBundleBytes: size - 1 });
    expect(r.warnings).toEqual([{ file: FILE, reason: `file is ${size} bytes, over the ${size - 1}-byte limit: skipped` }]);
    expect(r.attack.domains).toEqual([]);
    expect(summary(load(text, { ...DEFAULT_LIMITS, maxBundleBytes: size }))).toEqual(FULL);
  });

  it('the bundle limit, not the per-file one, applies to bundles, and the default fits the real enterprise bundle', () => {
    const text = bundleText(objects());
    expect(summary(load(text, { ...DEFAULT_LIMITS, maxFileBytes: 10 }))).toEqual(FULL);
    expect(statSync(join(DATA_DIR, 'attack', 'enterprise-attack.json')).size).toBeGreaterThan(DEFAULT_LIMITS.maxFileBytes);
    expect(statSync(join(DATA_DIR, 'attack', 'enterprise-attack.json')).size).toBeLessThan(DEFAULT_LIMITS.maxBundleBytes);
  });

  it('nesting deeper than maxDepth refuses the file with one warning', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const text = (n: number) => bundleText(objects()).replace('{"type":"bundle"', `{"deep":${deep(n)},"type":"bundle"`);
    // The root object is level 0, so n nested lists reach level n.
    const r = load(text(DEFAULT_LIMITS.maxDepth + 1));
    expect(r.warnings).toEqual([{ file: FILE, reason: `nested deeper than ${DEFAULT_LIMITS.maxDepth} levels: domain skipped` }]);
    expect(r.attack.domains).toEqual([]);
    expect(load(text(5000)).warnings).toEqual([{ file: FILE, reason: `nested deeper than ${DEFAULT_LIMITS.maxDepth} levels: domain skipped` }]);
    expect(summary(load(text(DEFAULT_LIMITS.maxDepth)))).toEqual(FULL);
  });

  it('an empty bundle file is refused with a warning', () => {
    const r = load('');
    expect(r.warnings).toEqual([{ file: FILE, reason: 'empty file' }]);
    expect(r.attack.domains).toEqual([]);
  });
});
