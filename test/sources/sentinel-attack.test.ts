import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kqlFirstTable, sentinelAttackSource, techniqueIdsInText } from '../../src/sources/sentinel-attack.js';
import { collectSource, sourcePresent } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const RULES = 'sentinel-attack/detections/sentinel_attack_rules.json';

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

const analytic = (displayName: string, description: unknown, extra: Record<string, unknown> = {}) => ({
  displayName, description, severity: 'High', enabled: 'true', query: 'Sysmon | where EventID == 1', queryFrequency: '1H', queryPeriod: '1H', ...extra,
});

describe('sentinel-attack fixtures', () => {
  it('reads ids from the description, skips the T0000 placeholder and links each rule to its line', async () => {
    const doc = {
      analytics: [
        analytic('Placeholder', 'Checks for execution of MITRE ATT&CK T0000'),
        analytic('Dumping', 'Checks for execution of MITRE ATT&CK T1003', { query: 'x'.repeat(5000) }),
        'not an analytic',
        analytic('No id', 'Checks for something'),
        analytic('Two ids', 'MITRE ATT&CK T1059.001 and t1086, again T1059.001', { enabled: 'false' }),
      ],
    };
    const dir = fixtureDir({ [RULES]: JSON.stringify(doc, null, 2) });
    const { records, warnings } = await collectSource(sentinelAttackSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.map((w) => [w.file, w.reason])).toEqual([
      [RULES, 'analytic #3 is not an object: skipped'],
      [RULES, 'analytic #4: no ATT&CK id in the description'],
    ]);
    expect(records.map((r) => r.key)).toEqual([1, 2, 4, 5].map((n) => `detections/sentinel_attack_rules.json#${n}`));
    expect(records.map((r) => r.techniques.map((t) => t.id))).toEqual([[], ['T1003'], [], ['T1059.001', 't1086']]);
    expect(records[0]!.meta).toMatchObject({ placeholderTechnique: 'T0000', language: 'KQL', dataSource: 'Sysmon', severity: 'High' });
    expect(String(records[1]!.meta!.query)).toHaveLength(1000);
    expect(records[3]!.meta!.enabled).toBe(false);
    // Line of each `"displayName"` in the pretty-printed file: 3 + 10 lines per analytic object, 1 for the string.
    const lines = JSON.stringify(doc, null, 2).split('\n');
    for (const r of records) {
      const line = Number(/#L(\d+)$/.exec(r.url!)![1]);
      expect(lines[line - 1]).toContain(`"displayName": "${r.title}"`);
    }
    expect(records[1]!.url).toBe(`https://github.com/BlueTeamLabs/sentinel-attack/blob/master/detections/sentinel_attack_rules.json#L${lines.findIndex((l) => l.includes('"Dumping"')) + 1}`);
  });

  it('warns on broken JSON, a wrong shape, an empty file, and never throws', async () => {
    for (const [content, reason] of [
      ['{"analytics": [', /^JSON: /],
      ['{"analytics": {}}', /^`analytics` is not a list$/],
      ['[]', /^`analytics` is not a list$/],
      ['', /^empty file$/],
      [Buffer.from([0xff, 0xfe, 0x00]), /^not valid UTF-8$/],
      [`{"analytics": ${'['.repeat(200)}${']'.repeat(200)}}`, /nested deeper/],
    ] as const) {
      const { records, warnings } = await collectSource(sentinelAttackSource, { dataDir: fixtureDir({ [RULES]: content }), attack: realAttack() });
      expect(records).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.file).toBe(RULES);
      expect(warnings[0]!.reason).toMatch(reason);
    }
  });

  it('keeps the url without a line anchor when lines cannot be matched (minified file)', async () => {
    const dir = fixtureDir({ [RULES]: JSON.stringify({ analytics: [analytic('A', 'MITRE ATT&CK T1003')] }) });
    const { records } = await collectSource(sentinelAttackSource, { dataDir: dir, attack: realAttack(), provenance: { accessedFrom: 'manifest', commit: 'abc' } });
    expect(records[0]!.url).toBe('https://github.com/BlueTeamLabs/sentinel-attack/blob/abc/detections/sentinel_attack_rules.json');
  });

  it('caps technique references per rule', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `T${1000 + (i % 9000)}.${String(i % 1000).padStart(3, '0')}`).join(' ');
    const dir = fixtureDir({ [RULES]: JSON.stringify({ analytics: [analytic('Many', ids)] }) });
    const { records, warnings } = await collectSource(sentinelAttackSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(warnings).toHaveLength(1);
  });

  it('helpers', () => {
    expect(techniqueIdsInText('MITRE ATT&CK T0000')).toEqual({ ids: [], placeholder: true });
    expect(techniqueIdsInText('T1003 and T1003.001')).toEqual({ ids: ['T1003', 'T1003.001'], placeholder: false });
    expect(techniqueIdsInText('XT1003 T10031')).toEqual({ ids: [], placeholder: false });
    expect(kqlFirstTable('Sysmon | where x')).toBe('Sysmon');
    expect(kqlFirstTable('let a = 1;\nSysmon')).toBeUndefined();
  });

  it('is present only with its folder', () => {
    expect(sourcePresent(sentinelAttackSource, fixtureDir({ 'other/x': '1' }))).toBe(false);
    expect(sourcePresent(sentinelAttackSource, fixtureDir({ [RULES]: '{}' }))).toBe(true);
  });
});

describe('sentinel-attack on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003', 'T1047', 'T1053', 'T1218', 'T1548.002', 'T1055', 'T1021.002', 'T1112', 'T1218.005'];

  /** Independent reading: a regex over the raw text, one `"description"` per analytic. */
  function independent(a: AttackIndex) {
    const raw = readFileSync(join(DATA_DIR, RULES), 'utf8');
    const descriptions = [...raw.matchAll(/"description"\s*:\s*"([^"]*)"/g)].map((m) => m[1]!);
    const exp = new Map<string, Set<number>>();
    let pairs = 0;
    let placeholders = 0;
    descriptions.forEach((d, i) => {
      const raws = [...d.matchAll(/T\d{4}(?:\.\d{3})?/g)].map((m) => m[0]);
      if (raws.includes('T0000')) placeholders++;
      const ids = new Set(raws.filter((r) => r !== 'T0000').flatMap((r) => resolvedIds(a, r)));
      pairs += ids.size;
      for (const id of ids) {
        if (!exp.has(id)) exp.set(id, new Set());
        exp.get(id)!.add(i);
      }
    });
    return { exp, resources: descriptions.length, pairs, placeholders };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { exp, resources, pairs, placeholders } = independent(a);
    // MANIFEST.json: 117 analytics, T0000 in 6.
    expect([resources, placeholders]).toEqual([117, 6]);
    const { records, warnings } = await collectSource(sentinelAttackSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(resources);
    expect(records.filter((r) => r.meta?.placeholderTechnique === 'T0000')).toHaveLength(placeholders);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    expect(got.size).toBe(exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t)?.size ?? 0]);
    expect(exp.get('T1003')?.size).toBeGreaterThan(0);
    expect(exp.get('T1059.001')?.size).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r.url)).size).toBe(records.length);
  });
});
