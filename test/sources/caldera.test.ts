import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { calderaSource } from '../../src/sources/caldera.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const ABILITIES = 'stockpile/data/abilities';
const REAL = (rel: string) => readFileSync(join(DATA_DIR, ABILITIES, rel));

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

describe('caldera fixtures', () => {
  it('reads both ability layouts, keeps ids as written, warns on malformed files', async () => {
    const dir = fixtureDir({
      [`${ABILITIES}/defense-evasion/0d2f63ff-6b77-46b3-83e5-080e445fa651.yml`]: REAL('defense-evasion/0d2f63ff-6b77-46b3-83e5-080e445fa651.yml'),
      [`${ABILITIES}/defense-evasion/a6b2bc9a-6724-49e5-a3bf-0d689a30ecb9.yml`]: REAL('defense-evasion/a6b2bc9a-6724-49e5-a3bf-0d689a30ecb9.yml'),
      [`${ABILITIES}/defense-evasion/49470433-30ce-4714-a44b-bea9dbbeca9a.yml`]: REAL('defense-evasion/49470433-30ce-4714-a44b-bea9dbbeca9a.yml'),
      [`${ABILITIES}/bad/broken.yml`]: '- id: x\n  name: [unclosed\n',
      [`${ABILITIES}/bad/mapping.yml`]: 'id: x\nname: not a list\n',
      [`${ABILITIES}/bad/empty.yml`]: '',
      [`${ABILITIES}/bad/mixed.yml`]: '- 42\n- id: m1\n  name: Two abilities\n  tactic: discovery\n  technique: {attack_id: T1082}\n  platforms:\n    windows:\n      "cmd,psh": {command: "whoami #{a} #{b} #{a}", payloads: [p.exe]}\n- id: m2\n  name: No technique\n',
      [`${ABILITIES}/bad/notes.txt`]: 'ignored',
    });
    const { records, warnings } = await collectSource(calderaSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.map((w) => w.file).sort()).toEqual([
      `${ABILITIES}/bad/broken.yml`,
      `${ABILITIES}/bad/empty.yml`,
      `${ABILITIES}/bad/mapping.yml`,
      `${ABILITIES}/bad/mixed.yml`,
      `${ABILITIES}/bad/mixed.yml`,
    ]);

    const spaced = records.find((r) => r.upstreamId === '0d2f63ff-6b77-46b3-83e5-080e445fa651')!;
    expect(spaced.techniques).toEqual([{ id: ' T1564.001' }]);
    expect(resolveTechniqueId(realAttack(), spaced.techniques[0]!.id)).toMatchObject({ kind: 'ok', id: 'T1564.001' });
    expect(spaced).toMatchObject({
      key: 'data/abilities/defense-evasion/0d2f63ff-6b77-46b3-83e5-080e445fa651.yml#1',
      title: 'Hide Agent Executable',
      breadcrumb: ['defense-evasion'],
      url: 'https://github.com/mitre/stockpile/blob/master/data/abilities/defense-evasion/0d2f63ff-6b77-46b3-83e5-080e445fa651.yml',
      meta: { platforms: ['windows'], executors: ['psh'], elevation: false, inputs: 1 },
    });

    const multiOs = records.find((r) => r.upstreamId === 'a6b2bc9a-6724-49e5-a3bf-0d689a30ecb9')!;
    expect(multiOs.techniques).toEqual([{ id: 'T1036.005' }]);
    expect(multiOs.meta!.platforms).toEqual(['linux', 'darwin']);
    expect(records.find((r) => r.upstreamId === '49470433-30ce-4714-a44b-bea9dbbeca9a')!.meta!.elevation).toBe(true);

    const m1 = records.find((r) => r.upstreamId === 'm1')!;
    expect(m1.key).toBe('data/abilities/bad/mixed.yml#2');
    expect(m1.meta).toMatchObject({ executors: ['cmd', 'psh'], inputs: 2, dependencies: 1, payloads: ['p.exe'] });
    expect(records.find((r) => r.upstreamId === 'm2')!.techniques).toEqual([]);
  });
});

describe('caldera on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003.001', 'T1053.005', 'T1485', 'T1082', 'T1018', 'T1564.001', 'T1562.004', 'T1548.002'];

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const exp = new Map<string, Set<string>>();
    let resources = 0;
    let pairs = 0;
    const root = join(DATA_DIR, ABILITIES);
    for (const tactic of readdirSync(root).sort()) {
      for (const f of readdirSync(join(root, tactic)).filter((x) => x.endsWith('.yml'))) {
        const list = parse(readFileSync(join(root, tactic, f), 'utf8')) as Record<string, unknown>[];
        list.forEach((ab, i) => {
          resources++;
          const t = ab.technique as { attack_id?: string } | undefined;
          const raw = t?.attack_id ?? (ab.technique_id as string);
          const ids = new Set(resolvedIds(a, raw));
          pairs += ids.size;
          for (const id of ids) {
            if (!exp.has(id)) exp.set(id, new Set());
            exp.get(id)!.add(`${tactic}/${f}#${i}`);
          }
        });
      }
    }
    const { records, warnings } = await collectSource(calderaSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(resources);
    expect(new Set(records.map((r) => r.key)).size).toBe(resources);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t)?.size ?? 0]);
    // Two abilities write their id as ' T1564.001' (leading space) upstream.
    expect(records.filter((r) => r.techniques.some((t) => t.id === ' T1564.001')).length).toBe(2);
  });
});
