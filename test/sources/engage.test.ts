import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSource } from '../../src/sources/collect.js';
import { engageSource } from '../../src/sources/engage.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const J = 'engage/Data/json';
const MAPPING = `${J}/attack_mapping.json`;
const DETAILS = `${J}/activity_details.json`;

const mapRow = (attack_id: unknown, eac_id: unknown, eav_id = 'EAV0001', eav = 'Adversaries touch decoys.') => ({
  attack_id, attack_technique: 'x', eav_id, eav, eac: 'Lures', eac_id,
});

function fixture(overrides: Record<string, string | Buffer> = {}): string {
  return fixtureDir({
    [MAPPING]: JSON.stringify([
      mapRow('T1021', 'EAC0005'),
      mapRow('T1021', 'EAC0005', 'EAV0002', 'They reveal\n tooling.'),
      mapRow('T1021', 'EAC0005'), // exact duplicate upstream
      mapRow('T9999', 'EAC0005'), // unknown to ATT&CK v18.1: passed through
      mapRow('T1574.002', 'EAC0001'), // revoked in v18.1: passed through
      mapRow(7, 'EAC0001'),
      'junk',
    ]),
    [DETAILS]: JSON.stringify({
      EAC0005: { type: 'Engagement', goals: ['EGO0001'], approaches: ['EAP0002', 'EAP0404'], name: 'Lures', description: 'Deploy\ndecoys.' },
      EAC0001: 'not an object',
    }),
    [`${J}/activities.json`]: JSON.stringify([{ id: 'EAC0001', name: 'API Monitoring', description: 'Monitor local APIs.' }]),
    [`${J}/goals.json`]: JSON.stringify([{ id: 'EGO0001', name: 'Expose' }]),
    [`${J}/approaches.json`]: JSON.stringify([{ id: 'EAP0002', name: 'Detect' }]),
    ...overrides,
  });
}

const load = (dataDir: string) => collectSource(engageSource, { dataDir, attack: realAttack() });

describe('engage: fixtures', () => {
  it('builds one record per activity and one ref per technique, joining vulnerabilities', async () => {
    const { records, warnings } = await load(fixture());
    expect(records.map((r) => r.key)).toEqual(['EAC0001', 'EAC0005']);
    const lures = records[1]!;
    expect(lures).toMatchObject({
      upstreamId: 'EAC0005', title: 'Lures', url: 'https://engage.mitre.org/activities/EAC0005/', description: 'Deploy decoys.',
      file: MAPPING, meta: { type: 'Engagement', goals: ['Expose'], approaches: ['Detect', 'EAP0404'] },
    });
    expect(lures.techniques).toEqual([
      { id: 'T1021', relation: 'engages', note: 'EAV0001: Adversaries touch decoys. | EAV0002: They reveal tooling.' },
      { id: 'T9999', relation: 'engages', note: 'EAV0001: Adversaries touch decoys.' },
    ]);
    // Activity known only from activities.json (its details entry is broken).
    expect(records[0]).toMatchObject({ title: 'API Monitoring', description: 'Monitor local APIs.' });
    expect(records[0]!.techniques.map((t) => t.id)).toEqual(['T1574.002']);
    expect(resolveTechniqueId(realAttack(), 'T9999').kind).toBe('unknown');
    expect(resolveTechniqueId(realAttack(), 'T1574.002').kind).toBe('revoked');
    expect(warnings.map((w) => [w.file, w.reason])).toEqual([
      [MAPPING, '[5]: eac_id or attack_id missing or not a string'],
      [MAPPING, '[6]: not an object'],
    ]);
  });

  it('warns on a corrupt mapping file and yields nothing', async () => {
    const { records, warnings } = await load(fixture({ [MAPPING]: '[{"attack_id": "T1021",' }));
    expect(records).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.file).toBe(MAPPING);
    expect(warnings[0]!.reason).toMatch(/^JSON: /);
  });

  it('warns when the mapping is not a list, or a lookup file is broken, and keeps the rest', async () => {
    const notList = await load(fixture({ [MAPPING]: JSON.stringify({ EAC0005: ['T1021'] }) }));
    expect(notList.records).toEqual([]);
    expect(notList.warnings.map((w) => [w.file, w.reason])).toEqual([[MAPPING, 'not a JSON array']]);

    const badDetails = await load(fixture({ [DETAILS]: Buffer.from([0xff, 0xfe, 0x00, 0x41]) }));
    expect(badDetails.warnings.map((w) => [w.file, w.reason])).toEqual([
      [DETAILS, 'not valid UTF-8'],
      [MAPPING, '[5]: eac_id or attack_id missing or not a string'],
      [MAPPING, '[6]: not an object'],
    ]);
    // Falls back to the mapping's own activity name.
    expect(badDetails.records.find((r) => r.key === 'EAC0005')!.title).toBe('Lures');
  });

  it('caps techniques per activity with a warning', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => mapRow(`T100${i}`, 'EAC0005'));
    const dir = fixture({ [MAPPING]: JSON.stringify(rows) });
    const { records, warnings } = await collectSource(engageSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 3 } });
    expect(records[0]!.techniques).toHaveLength(3);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w.file === MAPPING)).toBe(true);
  });
});

describe('engage: full shared data', () => {
  it('matches an independent reading of attack_mapping.json', async () => {
    const { records, warnings } = await load(DATA_DIR);
    expect(warnings).toEqual([]);

    const rows = JSON.parse(readFileSync(join(DATA_DIR, MAPPING), 'utf8')) as { attack_id: string; eac_id: string }[];
    const mine = new Map<string, Set<string>>();
    for (const r of rows) {
      const res = resolveTechniqueId(realAttack(), r.attack_id);
      const ids = res.kind === 'revoked' ? res.ids : res.kind === 'invalid' ? [] : [res.id];
      for (const id of ids) {
        if (!mine.has(id)) mine.set(id, new Set());
        mine.get(id)!.add(r.eac_id);
      }
    }
    const theirs = new Map<string, Set<string>>();
    const pairs = (rs: ResourceRecord[]) => rs.flatMap((r) => r.techniques.map((t) => [r.key, t.id] as const));
    for (const [key, raw] of pairs(records)) {
      const res = resolveTechniqueId(realAttack(), raw);
      const ids = res.kind === 'revoked' ? res.ids : res.kind === 'invalid' ? [] : [res.id];
      for (const id of ids) {
        if (!theirs.has(id)) theirs.set(id, new Set());
        theirs.get(id)!.add(key);
      }
    }
    // Counted from the raw file with a separate script: 793 rows, 23 activities, 596 pairs, 175 techniques.
    expect(rows).toHaveLength(793);
    expect(records).toHaveLength(23);
    expect(new Set(rows.map((r) => r.eac_id)).size).toBe(23);
    expect(pairs(records)).toHaveLength(596);
    expect([...mine.values()].reduce((n, s) => n + s.size, 0)).toBe(596);
    expect(theirs.size).toBe(175);
    const expected: Record<string, string[]> = {
      T1021: ['EAC0002', 'EAC0005', 'EAC0006', 'EAC0016'],
      'T1021.004': [],
      T1059: ['EAC0014', 'EAC0018', 'EAC0022'],
      'T1059.001': [],
      T1078: ['EAC0003', 'EAC0005', 'EAC0008', 'EAC0011', 'EAC0012', 'EAC0022'],
      T1190: ['EAC0005', 'EAC0006'],
      T1566: ['EAC0003', 'EAC0009', 'EAC0011', 'EAC0012', 'EAC0021'],
      T1003: ['EAC0003', 'EAC0005', 'EAC0011'],
      T1040: ['EAC0005', 'EAC0007', 'EAC0011', 'EAC0014', 'EAC0016', 'EAC0023'],
      T1486: ['EAC0014', 'EAC0015', 'EAC0022'],
    };
    for (const [t, eacs] of Object.entries(expected)) {
      expect([...(mine.get(t) ?? [])].sort(), t).toEqual(eacs);
      expect([...(theirs.get(t) ?? [])].sort(), t).toEqual(eacs);
    }
    const lures = records.find((r) => r.key === 'EAC0005')!;
    expect(lures).toMatchObject({ title: 'Lures', url: 'https://engage.mitre.org/activities/EAC0005/', meta: { goals: ['Expose', 'Affect'], approaches: ['Detect', 'Direct', 'Disrupt'] } });
  });
});
