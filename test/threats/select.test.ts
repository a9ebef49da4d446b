import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { parseTechniqueList, selectThreats, ThreatError } from '../../src/threats/select.js';
import { DATA_DIR } from '../helpers.js';

type Raw = Record<string, unknown> & { external_references?: { source_name?: string; external_id?: string }[] };

/** G0016's techniques by a plain walk of the enterprise bundle's `uses` relationships (+ parents of sub-techniques). */
let bundle: Raw[] | undefined;
function rawGroupTechniques(groupId: string): string[] {
  bundle ??= (JSON.parse(readFileSync(join(DATA_DIR, 'attack', 'enterprise-attack.json'), 'utf8')) as { objects: Raw[] }).objects;
  const objs = bundle;
  const ext = (o: Raw | undefined) => o?.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id;
  const byId = new Map(objs.map((o) => [o.id as string, o]));
  const group = objs.find((o) => o.type === 'intrusion-set' && ext(o) === groupId)!;
  const ids = new Set<string>();
  for (const r of objs) {
    if (r.type !== 'relationship' || r.relationship_type !== 'uses' || r.source_ref !== group.id || r.revoked || r.x_mitre_deprecated) continue;
    const t = byId.get(r.target_ref as string);
    if (t?.type !== 'attack-pattern') continue;
    const id = ext(t)!;
    ids.add(id);
    if (id.includes('.')) ids.add(id.split('.')[0]!);
  }
  return [...ids].sort();
}

describe('threat selection', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));

  it('G0016 by id, name or alias has the technique set of an independent walk of `uses`', () => {
    const expected = rawGroupTechniques('G0016');
    expect(expected.length).toBeGreaterThan(50);
    for (const q of ['G0016', 'APT29', 'Cozy Bear']) {
      const sel = selectThreats(kb, { group: [q] });
      expect(sel.threats.map((t) => t.id)).toEqual(['G0016']);
      expect([...sel.techniques.keys()].sort()).toEqual(expected);
    }
  });

  it('counts how many selected threats use each technique', () => {
    const sel = selectThreats(kb, { group: ['APT29', 'APT28'] });
    const apt28 = new Set(rawGroupTechniques('G0007'));
    const both = rawGroupTechniques('G0016').filter((t) => apt28.has(t));
    expect([...sel.techniques].filter(([, users]) => users.length === 2).map(([id]) => id).sort()).toEqual(both);
  });

  it('selects groups by profile and says which could not be joined', () => {
    const sel = selectThreats(kb, { originCountry: ['KP'] });
    expect(sel.threats.map((t) => t.name)).toContain('Lazarus Group');
    expect(sel.threats.every((t) => t.profile?.originCountry === 'KP')).toBe(true);
  });

  it('reads plain lists and Navigator layers; an unknown group is an error with suggestions', () => {
    expect(parseTechniqueList('T1059.001, t1021.004\nT1059.001')).toEqual(['T1021.004', 'T1059.001']);
    expect(parseTechniqueList(JSON.stringify({ techniques: [{ techniqueID: 'T1003', score: 1 }, { techniqueID: 'T1005', score: 0 }, { techniqueID: 'T1006', enabled: false }] }))).toEqual(['T1003']);
    expect(() => selectThreats(kb, { group: ['APT2999'] })).toThrow(ThreatError);
  });
});
