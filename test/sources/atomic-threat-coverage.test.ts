import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicThreatCoverageSource, splitLabel } from '../../src/sources/atomic-threat-coverage.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const INDEX = 'atomic-threat-coverage/analytics/generated/atc_es_index.json';
const REAL_LINES = readFileSync(join(DATA_DIR, INDEX), 'utf8').split('\n');

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

const action = (id: number) => JSON.stringify({ index: { _id: id } });

describe('atomic-threat-coverage fixtures', () => {
  it('reads bulk NDJSON documents, drops "not defined", and carries on past broken lines', async () => {
    const lines = [
      REAL_LINES[0], // action
      REAL_LINES[1], // "Relevant Anti-Virus Event": technique ["not defined"]
      REAL_LINES[14], // action
      REAL_LINES[15], // "Credential Dumping Tools Service Execution": T1003, T1035
      action(3),
      '{"detection_rule_title": "Broken", "technique": ["T1003: Cred', // cut off
      action(4),
      '[1, 2]',
      action(5),
      JSON.stringify({ detection_rule_title: 'Odd technique', technique: 7, detection_rule_development_status: 'deprecated' }),
      action(6),
      JSON.stringify({ detection_rule_title: 'Lone string', technique: 'T1059.001: PowerShell', tactic: 'TA0002: Execution', platform: ['None'] }),
      '',
    ];
    const dir = fixtureDir({ [INDEX]: lines.join('\n') });
    const { records, warnings } = await collectSource(atomicThreatCoverageSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.map((w) => w.file)).toEqual([INDEX, INDEX, INDEX]);
    expect(warnings[0]!.reason).toMatch(/^line 6: /);
    expect(warnings[1]!.reason).toBe('line 8: document is not an object: skipped');
    expect(warnings[2]!.reason).toBe('line 10: `technique` is not a list');

    expect(records.map((r) => r.title)).toEqual(['Relevant Anti-Virus Event', 'Credential Dumping Tools Service Execution', 'Odd technique', 'Lone string']);
    expect(records.map((r) => r.key)).toEqual([1, 2, 3, 4].map((n) => `analytics/generated/atc_es_index.json#${n}`));
    expect(records.map((r) => r.techniques.map((t) => t.id))).toEqual([[], ['T1003', 'T1035'], [], ['T1059.001']]);
    const [av, cred, odd, lone] = records;
    expect(av!.url).toBe('https://github.com/atc-project/atomic-threat-coverage/blob/master/analytics/generated/atc_es_index.json#L2');
    expect(av!.meta).not.toHaveProperty('tactics');
    expect(av!.meta).not.toHaveProperty('status');
    expect(cred).toMatchObject({
      upstreamId: '4976aa50-8f41-45c6-8b15-ab3fc10e79ed',
      url: 'https://github.com/atc-project/atomic-threat-coverage/blob/master/analytics/generated/atc_es_index.json#L4',
      breadcrumb: ['windows', 'builtin'],
      file: INDEX,
      meta: {
        language: 'Sigma', severity: 'high', created: '2017-03-05', modified: '2019-11-01', tactics: ['Credential Access', 'Execution'],
        platforms: ['Windows'], loggingPolicies: ['LP_0100_windows_audit_security_system_extension'], sigmaRule: 'es/windows/builtin/win_mal_creddumper.yml',
      },
    });
    expect(cred!.meta!.dataNeeded).toHaveLength(3);
    expect(odd!.deprecated).toBe(true);
    expect(lone!.meta).toMatchObject({ tactics: ['Execution'] });
    expect(lone!.meta).not.toHaveProperty('platforms');
  });

  it('warns on an empty file, a file of actions only, deep nesting; never throws', async () => {
    for (const [content, reason] of [
      ['', /^empty file$/],
      [`${action(1)}\n${action(2)}\n`, /^no detection rule document found$/],
    ] as const) {
      const { records, warnings } = await collectSource(atomicThreatCoverageSource, { dataDir: fixtureDir({ [INDEX]: content }), attack: realAttack() });
      expect(records).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.reason).toMatch(reason);
    }
    const deep = `${'['.repeat(500)}${']'.repeat(500)}\n${JSON.stringify({ detection_rule_title: 'ok', technique: ['T1003: x'] })}`;
    const { records, warnings } = await collectSource(atomicThreatCoverageSource, { dataDir: fixtureDir({ [INDEX]: deep }), attack: realAttack() });
    expect(warnings.map((w) => w.reason)).toEqual([expect.stringMatching(/^line 1: JSON: nested deeper/)]);
    expect(records.map((r) => r.title)).toEqual(['ok']);
  });

  it('caps technique references per rule', async () => {
    const technique = Array.from({ length: 10_000 }, (_, i) => `T${1000 + (i % 9000)}.${String(i % 1000).padStart(3, '0')}: x`);
    const dir = fixtureDir({ [INDEX]: JSON.stringify({ detection_rule_title: 'many', technique }) });
    const { records, warnings } = await collectSource(atomicThreatCoverageSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(warnings).toHaveLength(1);
  });

  it('labels', () => {
    expect(splitLabel('T1087: Account Discovery', 'id')).toBe('T1087');
    expect(splitLabel('TA0007: Discovery', 'name')).toBe('Discovery');
    expect(splitLabel('T1087', 'id')).toBe('T1087');
  });
});

describe('atomic-threat-coverage on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003', 'T1003.001', 'T1036', 'T1055', 'T1218.011', 'T1047', 'T1569.002', 'T1053', 'T1112'];

  /** Independent reading: every odd line is a document; technique labels start with their id. */
  function independent(a: AttackIndex) {
    const exp = new Map<string, number>();
    let resources = 0;
    let pairs = 0;
    let notDefined = 0;
    for (const line of REAL_LINES) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as Record<string, unknown>;
      if ('index' in doc) continue;
      resources++;
      const labels = doc.technique as string[];
      if (labels.includes('not defined')) notDefined++;
      const ids = new Set(labels.flatMap((l) => (/^(T\d{4}(?:\.\d{3})?):/.exec(l) ? resolvedIds(a, l.split(':')[0]!) : [])));
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    return { exp, resources, pairs, notDefined };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { exp, resources, pairs, notDefined } = independent(a);
    // MANIFEST.json: 457 documents, "not defined" in 44.
    expect([resources, notDefined]).toEqual([457, 44]);
    const { records, warnings } = await collectSource(atomicThreatCoverageSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(resources);
    expect(records.filter((r) => !r.techniques.length)).toHaveLength(notDefined);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    expect(got.size).toBe(exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t) ?? 0]);
    expect(exp.get('T1003')).toBeGreaterThan(0);
    expect(exp.get('T1059.001')).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r.url)).size).toBe(records.length);
  });
});
