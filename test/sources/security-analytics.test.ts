import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { securityAnalyticsSource } from '../../src/sources/security-analytics.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const ROOT = join(DATA_DIR, 'security-analytics');
const REAL = (id: string) => readFileSync(join(ROOT, 'src', id, `${id}.yaml`));
const F = (id: string) => `security-analytics/src/${id}/${id}.yaml`;

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

describe('security-analytics fixtures', () => {
  it('maps attack_mapping, keeps ATLAS ids aside, and warns on malformed use cases', async () => {
    const dir = fixtureDir({
      [F('1.02')]: REAL('1.02'),
      [F('1.20')]: REAL('1.20'), // no attack_mapping upstream
      [F('9.01')]: [
        'id: 9.10', // unquoted: parses as a number, the folder name is used
        'display_name: Mixed mapping',
        'category: Data Usage',
        'severity: High',
        'attack_mapping:',
        '  - technique: AML.T0051',
        '    title: LLM Prompt Injection',
        '  - technique: T1530',
        '  - technique: T1530',
        '  - title: no technique here',
        '  - technique: 42',
        'sources: [Audit Logs]',
        'use_cases: [Detect, Audit]',
      ].join('\n'),
      [F('9.02')]: 'id: "9.02"\nattack_mapping: T1078\n',
      [F('9.03')]: 'id: [unclosed\n',
      [F('9.04')]: '',
      [F('9.05')]: '- just\n- a list\n',
      [F('9.06')]: 'id: a\nid: b\n',
      'security-analytics/src/9.07/notes.md': 'ignored',
      'security-analytics/src/deep/er/x.yaml': 'id: ignored',
    });
    const { records, warnings } = await collectSource(securityAnalyticsSource, { dataDir: dir, attack: realAttack() });
    const byFile = (f: string) => warnings.filter((w) => w.file === f).map((w) => w.reason);
    expect(byFile(F('9.01'))).toEqual(['attack_mapping #4 has no `technique` string: skipped', 'attack_mapping #5 has no `technique` string: skipped']);
    expect(byFile(F('9.02'))).toEqual(['`attack_mapping` is not a list']);
    expect(byFile(F('9.03'))).toHaveLength(1);
    expect(byFile(F('9.04'))).toEqual(['empty file']);
    expect(byFile(F('9.05'))).toEqual(['not a YAML mapping']);
    expect(byFile(F('9.06'))).toHaveLength(1);
    expect(warnings).toHaveLength(7);

    expect(records.map((r) => r.key)).toEqual(['src/1.02/1.02.yaml', 'src/1.20/1.20.yaml', 'src/9.01/9.01.yaml', 'src/9.02/9.02.yaml']);
    const [login, iap, mixed] = records;
    expect(login).toMatchObject({
      upstreamId: '1.02',
      title: 'Suspicious login attempt flagged by Google Workspace',
      breadcrumb: ['Login & Access Patterns'],
      url: 'https://github.com/GoogleCloudPlatform/security-analytics/blob/main/src/1.02/1.02.yaml',
      file: F('1.02'),
      meta: { id: '1.02', severity: 'Medium', sources: ['Workspace Login Audit (Cloud Identity Logs)'], useCases: ['Detect'] },
      techniques: [{ id: 'T1078.004' }],
    });
    expect(iap!.techniques).toEqual([]);
    expect(iap!.meta!.hasTest).toBe(true);
    expect(mixed).toMatchObject({ upstreamId: '9.01', meta: { atlas: [{ id: 'AML.T0051', title: 'LLM Prompt Injection' }] }, techniques: [{ id: 'T1530' }] });
  });

  it('caps technique references per use case', async () => {
    const list = Array.from({ length: 10_000 }, (_, i) => `  - technique: T${1000 + (i % 9000)}.${String(i % 1000).padStart(3, '0')}`).join('\n');
    const dir = fixtureDir({ [F('9.09')]: `id: '9.09'\nattack_mapping:\n${list}\n` });
    const { records, warnings } = await collectSource(securityAnalyticsSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(warnings).toHaveLength(1);
  });
});

describe('security-analytics on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003', 'T1003.001', 'T1530', 'T1078.004', 'T1578', 'T1496', 'T1484.002', 'T1190', 'T1562.008'];

  /** Independent reading: `- technique:` lines of every use case file. */
  function independent(a: AttackIndex) {
    const exp = new Map<string, Set<string>>();
    let resources = 0;
    let pairs = 0;
    let atlas = 0;
    for (const folder of readdirSync(join(ROOT, 'src')).sort()) {
      const text = readFileSync(join(ROOT, 'src', folder, `${folder}.yaml`), 'utf8');
      resources++;
      const raws = [...text.matchAll(/^\s*-\s*technique:\s*['"]?([\w.]+)/gm)].map((m) => m[1]!);
      atlas += raws.filter((r) => r.startsWith('AML.')).length;
      const ids = new Set(raws.filter((r) => /^T\d/.test(r)).flatMap((r) => resolvedIds(a, r)));
      pairs += ids.size;
      for (const id of ids) {
        if (!exp.has(id)) exp.set(id, new Set());
        exp.get(id)!.add(folder);
      }
    }
    return { exp, resources, pairs, atlas };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { exp, resources, pairs, atlas } = independent(a);
    expect(resources).toBe(51); // MANIFEST.json: 51 use cases
    const { records, warnings } = await collectSource(securityAnalyticsSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(resources);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    expect(got.size).toBe(exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t)?.size ?? 0]);
    expect(exp.get('T1530')?.size).toBeGreaterThan(0);
    expect(records.reduce((n, r) => n + ((r.meta?.atlas as unknown[] | undefined)?.length ?? 0), 0)).toBe(atlas);
    expect(atlas).toBeGreaterThan(0);
  });
});
