/** Crosswalk edge cases on small hand-made releases: splits, merges, aggregates, odd entries. */
import { describe, expect, it } from 'vitest';
import { translateLayer, LayerInputError } from '../../src/crosswalk/layer.js';
import { newerIds } from '../../src/crosswalk/newer.js';
import type { Release, ReleaseTechnique } from '../../src/crosswalk/release.js';
import { Crosswalk } from '../../src/crosswalk/translate.js';
import { parseCrosswalkInput } from '../../src/crosswalk/input.js';
import { cli, fixtureDir, tempDir } from '../helpers.js';
import { join } from 'node:path';

type T = Partial<ReleaseTechnique> & { id: string };

function release(version: string, techniques: T[], tactics: [string, string, string][]): Release {
  const all = new Map<string, ReleaseTechnique>(techniques.map((t) => [t.id, { domain: 'enterprise-attack', name: t.id, status: 'active', revokedBy: [], tactics: [], ...t }]));
  return {
    version,
    technique: (id) => all.get(id),
    subtechniques: (id) => [...all.values()].filter((t) => t.parent === id && t.status === 'active').map((t) => t.id).sort(),
    tactics: tactics.map(([id, shortname, name]) => ({ domain: 'enterprise-attack', id, shortname, name })),
    maxTechniqueNumber: Math.max(...techniques.map((t) => Number(t.id.slice(1, 5)))),
  };
}

const OLD_TACTICS: [string, string, string][] = [['TA0003', 'persistence', 'Persistence'], ['TA0005', 'defense-evasion', 'Defense Evasion']];
const NEW_TACTICS: [string, string, string][] = [['TA0003', 'persistence', 'Persistence'], ['TA0005', 'stealth', 'Stealth'], ['TA0112', 'defense-impairment', 'Defense Impairment']];

const before = release('18.1', [
  { id: 'T1001', tactics: ['defense-evasion'] },
  { id: 'T1002', tactics: ['defense-evasion'] },
  { id: 'T1003', tactics: ['defense-evasion'], name: 'Old name' },
  { id: 'T1004', tactics: ['persistence', 'defense-evasion'] },
  { id: 'T1005', tactics: ['persistence'] },
], OLD_TACTICS);

const after = release('19.1', [
  // T1001 and T1002 merge into T1100; T1005 splits into T1101 and T1102.
  { id: 'T1001', status: 'revoked', revokedBy: ['T1100'], tactics: ['stealth'] },
  { id: 'T1002', status: 'revoked', revokedBy: ['T1100'], tactics: ['stealth'] },
  { id: 'T1100', tactics: ['defense-impairment'] },
  { id: 'T1003', tactics: ['stealth'], name: 'New name' },
  { id: 'T1003.001', parent: 'T1003', tactics: ['stealth'] },
  { id: 'T1004', tactics: ['persistence', 'stealth', 'defense-impairment'] },
  { id: 'T1005', status: 'revoked', revokedBy: ['T1101', 'T1102'], tactics: ['persistence'] },
  { id: 'T1101', tactics: ['persistence'] },
  { id: 'T1102', tactics: ['persistence'] },
  { id: 'T1006', status: 'deprecated', tactics: ['persistence'] },
], NEW_TACTICS);

describe('crosswalk on hand-made releases', () => {
  it('merges, splits, renames, deprecations and new sub-techniques, each with its reason', () => {
    const cw = new Crosswalk(after, before);
    const all = cw.translateAll(['T1001', 't1002', 'T1003', 'T1005', 'T1006', 'T1103', 'T1999', 'X1']);
    expect(all.map((t) => [t.id, t.outcome, t.ids])).toEqual([
      ['T1001', 'replaced', ['T1100']], ['T1002', 'replaced', ['T1100']], ['T1003', 'same', ['T1003']], ['T1005', 'replaced', ['T1101', 'T1102']],
      ['T1006', 'deprecated', []], ['T1103', 'unknown', []], ['T1999', 'unknown', []], ['X1', 'invalid', []],
    ]);
    const notes = new Map(all.map((t) => [t.id, t.notes]));
    expect(notes.get('T1001')).toEqual([
      'revoked; replaced by T1100 "T1100" (Defense Impairment)', 'tactics: Defense Evasion → Defense Impairment', 'merged into T1100 with T1002',
    ]);
    expect(notes.get('T1003')).toEqual(['renamed: "Old name" → "New name"', 'tactics: Defense Evasion → Stealth', 'new sub-techniques since ATT&CK 18.1: T1003.001']);
    expect(notes.get('T1005')![0]).toBe('revoked and split into T1101 "T1101" (Persistence), T1102 "T1102" (Persistence)');
    expect(notes.get('T1006')).toEqual(['deprecated in ATT&CK 19.1 without a replacement']);
    // Just above the loaded range reads as a newer release; far above is only unknown.
    expect(all.find((t) => t.id === 'T1103')).toMatchObject({ newer: true });
    expect(all.find((t) => t.id === 'T1999')!.newer).toBeUndefined();
    expect(notes.get('T1999')).toEqual(['unknown to ATT&CK 18.1 and ATT&CK 19.1']);
    expect(newerIds(['T1103', 'T1999', 'T1100', 'T1103.001'], after)).toEqual(['T1103', 'T1103.001']);
  });

  it('a layer: merged entries combine by the layer\'s aggregate (max by default), tactics re-derived, odd entries kept', () => {
    const doc = {
      name: 'old', versions: { attack: '18', layer: '4.5' }, domain: 'enterprise-attack', metadata: [{ name: 'team', value: 'blue' }],
      techniques: [
        { techniqueID: 'T1001', tactic: 'defense-evasion', score: 1, comment: 'a', links: [{ label: 'x', url: 'https://a' }] },
        { techniqueID: 'T1002', tactic: 'defense-evasion', score: 4, comment: 'b', enabled: false, links: [{ label: 'x', url: 'https://a' }] },
        { techniqueID: 'T1004', tactic: 'defense-evasion', score: 2 },
        { techniqueID: 'T1005', tactic: 'persistence', score: 3 },
        'not an entry',
        { techniqueID: 'T1006', score: 9 },
      ],
    };
    const withFrom = translateLayer(doc, new Crosswalk(after, before));
    expect(withFrom.layer.techniques).toEqual([
      { techniqueID: 'T1100', tactic: 'defense-impairment', score: 4, comment: 'a\nb', enabled: true, links: [{ label: 'x', url: 'https://a' }] },
      // Defense Evasion split, and T1004 is under both halves: one entry each.
      { techniqueID: 'T1004', tactic: 'stealth', score: 2 },
      { techniqueID: 'T1004', tactic: 'defense-impairment', score: 2 },
      { techniqueID: 'T1101', tactic: 'persistence', score: 3 },
      { techniqueID: 'T1102', tactic: 'persistence', score: 3 },
      'not an entry',
      { techniqueID: 'T1006', score: 9 },
    ]);
    expect(withFrom.merged).toBe(1);
    expect(withFrom.layer.versions).toEqual({ attack: '19', layer: '4.5' });
    expect(withFrom.layer.metadata).toEqual([{ name: 'team', value: 'blue' }, { name: 'ATT&CK crosswalk', value: 'translated from ATT&CK 18 to 19.1 by purplebook translate' }]);
    // Without the older release, T1004's renamed tactic cannot be told: the entry applies to all its tactics.
    const alone = translateLayer({ ...doc, layout: { aggregateFunction: 'sum' } }, new Crosswalk(after));
    expect((alone.layer.techniques as Record<string, unknown>[])[0]).toMatchObject({ techniqueID: 'T1100', score: 5 });
    expect((alone.layer.techniques as Record<string, unknown>[])[1]).toEqual({ techniqueID: 'T1004', score: 2 });
    expect(alone.changes.find((c) => c.from.techniqueID === 'T1004')!.notes).toEqual([
      'T1004: tactic defense-evasion is not one of its tactics in ATT&CK 19.1 (persistence, stealth, defense-impairment); the entry now applies to all of them',
    ]);
    const avg = translateLayer({ ...doc, layout: { aggregateFunction: 'average' } }, new Crosswalk(after));
    expect((avg.layer.techniques as Record<string, unknown>[])[0]).toMatchObject({ score: 2.5 });
  });

  it('a layer made on a newer release says so; non-layers are refused', () => {
    const r = translateLayer({ versions: { attack: '20' }, techniques: [] }, new Crosswalk(after));
    expect(r.warnings).toEqual(['the layer was made on ATT&CK 20, newer than the loaded 19.1: `purplebook sync` fetches the newer release']);
    expect(() => translateLayer({ name: 'x' }, new Crosswalk(after))).toThrow(LayerInputError);
    expect(parseCrosswalkInput('["T1001", "T1002"]')).toEqual({ kind: 'list', ids: ['T1001', 'T1002'] });
    expect(parseCrosswalkInput('[{"techniques": []}, {"techniques": []}]')).toMatchObject({ kind: 'layers', single: false });
    expect(() => parseCrosswalkInput('[1, 2]')).toThrow(/neither/);
  });
});

describe('build says when public rules already use a newer ATT&CK', () => {
  it('one hint naming the sources and the ids', async () => {
    const { readFileSync } = await import('node:fs');
    const { DATA_DIR } = await import('../helpers.js');
    const ics = readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json'), 'utf8');
    const max = Math.max(...[...ics.matchAll(/"external_id": ?"T(\d{4})/g)].map((m) => Number(m[1])));
    const next = `T${String(max + 1).padStart(4, '0')}`;
    const data = fixtureDir({
      'attack/ics-attack.json': ics,
      'sigma/rules/a/r.yml': `title: R\nid: 0b5a1f3e-1111-4c2d-9e8f-000000000001\ntags:\n  - attack.${next.toLowerCase()}\nlogsource: {product: windows}\ndetection: {sel: {a: b}, condition: sel}\n`,
    });
    const r = cli(['build', '--data', data, '--db', join(tempDir(), 'kb.db')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`sigma use ATT&CK ids newer than the knowledge base's ATT&CK`);
    expect(r.stderr).toContain(`(${next})`);
  });
});
