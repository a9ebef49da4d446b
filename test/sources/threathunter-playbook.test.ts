import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSubTechnique, threatHunterPlaybookSource } from '../../src/sources/threathunter-playbook.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const HUNTS = join(DATA_DIR, 'threathunter-playbook', 'docs', 'hunts', 'windows');
const F = (hunt: string) => `threathunter-playbook/docs/hunts/windows/${hunt}/metadata.yaml`;
const REAL = (hunt: string) => readFileSync(join(HUNTS, hunt, 'metadata.yaml'));

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

const hunt = (mappings: string) => `id: X\ntitle: Hand written\nhypothesis: h\nplatform: Windows\nattack_mappings:\n${mappings}\n`;

describe('threathunter-playbook fixtures', () => {
  it('joins technique and sub-technique across both key spellings and the "None"/empty forms', async () => {
    const dir = fixtureDir({
      [F('170105-LSASSMemoryReadAccess')]: REAL('170105-LSASSMemoryReadAccess'), // sub-technique: "001"
      [F('190511-RemotePwshExecution')]: REAL('190511-RemotePwshExecution'), // sub_technique: "001" and "006"
      [F('190811-WMIModuleLoad')]: REAL('190811-WMIModuleLoad'), // sub_technique: None
      [F('201012-WuaucltCreateRemoteThread')]: REAL('201012-WuaucltCreateRemoteThread'), // sub-technique: (empty)
      [F('900001-Unquoted')]: hunt('  - technique: T1003\n    sub_technique: 001\n  - technique: T1003.002\n    sub_technique: None'),
      [F('900002-BadSub')]: hunt('  - technique: T1021\n    sub-technique: abc\n  - sub_technique: "001"\n  - technique: T1021\n    sub_technique: "None"'),
      [F('900003-NotList')]: hunt('  technique: T1003'),
      [F('900004-Broken')]: 'id: [x\n',
      [F('900005-Empty')]: '',
      [F('900006-NoMappings')]: 'id: N\ntitle: No mappings\n',
      'threathunter-playbook/docs/hunts/windows/notes.md': 'ignored',
      'threathunter-playbook/docs/hunts/windows/900007-Other/notebook.md': 'ignored',
    });
    const { records, warnings } = await collectSource(threatHunterPlaybookSource, { dataDir: dir, attack: realAttack() });
    const byFile = (f: string) => warnings.filter((w) => w.file === f).map((w) => w.reason);
    expect(byFile(F('900002-BadSub'))).toEqual([
      'attack_mappings #1: sub-technique abc is not a 3-digit number: T1021 kept',
      'attack_mappings #2 has no `technique` string: skipped',
    ]);
    expect(byFile(F('900003-NotList'))).toEqual(['`attack_mappings` is not a list']);
    expect(byFile(F('900004-Broken'))).toHaveLength(1);
    expect(byFile(F('900005-Empty'))).toEqual(['empty file']);
    expect(byFile(F('900006-NoMappings'))).toEqual(['`attack_mappings` is missing: hunt kept without a technique']);
    expect(warnings).toHaveLength(6);

    expect(Object.fromEntries(records.map((r) => [r.key.split('/')[3], r.techniques.map((t) => t.id)]))).toEqual({
      '170105-LSASSMemoryReadAccess': ['T1003.001'],
      '190511-RemotePwshExecution': ['T1059.001', 'T1021.006'],
      '190811-WMIModuleLoad': ['T1047'],
      '201012-WuaucltCreateRemoteThread': ['T1218'],
      '900001-Unquoted': ['T1003.001', 'T1003.002'],
      '900002-BadSub': ['T1021'],
      '900003-NotList': [],
      '900006-NoMappings': [],
    });
    expect(records[0]).toMatchObject({
      key: 'docs/hunts/windows/170105-LSASSMemoryReadAccess/metadata.yaml',
      upstreamId: '170105-LSASSMemoryReadAccess',
      title: 'LSASS Memory Read Access',
      url: 'https://github.com/OTRF/ThreatHunter-Playbook/blob/main/docs/hunts/windows/170105-LSASSMemoryReadAccess/metadata.yaml',
      breadcrumb: ['windows'],
      description: 'Adversaries might be access LSASS and extract credentials from memory.',
      file: F('170105-LSASSMemoryReadAccess'),
      meta: {
        id: '170105-LSASSMemoryReadAccess', platform: 'Windows', tactics: ['Credential Access'], authors: ['@Cyb3rWard0g'],
        created: '2017-01-05', modified: '2022-09-06', datasets: 1,
        notebook: 'https://github.com/OTRF/ThreatHunter-Playbook/blob/main/docs/hunts/windows/170105-LSASSMemoryReadAccess/notebook.md',
      },
    });
    expect(records[1]!.meta!.tactics).toEqual(['Execution', 'Lateral Movement']);
    expect(records[3]!.meta!.datasets).toBe(1); // `detections:` instead of `datasets:`
  });

  it('caps technique references per hunt', async () => {
    const list = Array.from({ length: 10_000 }, (_, i) => `  - technique: T${1000 + (i % 9000)}\n    sub_technique: "${String(i % 1000).padStart(3, '0')}"`).join('\n');
    const dir = fixtureDir({ [F('900009-Many')]: hunt(list) });
    const { records, warnings } = await collectSource(threatHunterPlaybookSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(warnings).toHaveLength(1);
  });

  it('sub-technique values', () => {
    expect(readSubTechnique('001')).toEqual({ kind: 'sub', sub: '001' });
    expect(readSubTechnique(6)).toEqual({ kind: 'sub', sub: '006' });
    expect(readSubTechnique('None')).toEqual({ kind: 'none' });
    expect(readSubTechnique('')).toEqual({ kind: 'none' });
    expect(readSubTechnique(null)).toEqual({ kind: 'none' });
    expect(readSubTechnique(['001'])).toEqual({ kind: 'bad', raw: '["001"]' });
  });
});

describe('threathunter-playbook on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003', 'T1003.001', 'T1003.002', 'T1047', 'T1112', 'T1021.002', 'T1546.003', 'T1569.002', 'T1218'];

  /**
   * Independent reading: each mapping is a `- tactics:` item; its `technique:` line and the
   * `sub_technique:`/`sub-technique:` line after it, with a quoted 3-digit value or anything else.
   */
  function independent(a: AttackIndex) {
    const exp = new Map<string, number>();
    let resources = 0;
    let pairs = 0;
    let mappings = 0;
    for (const folder of readdirSync(HUNTS).filter((f) => !f.includes('.')).sort()) {
      const text = readFileSync(join(HUNTS, folder, 'metadata.yaml'), 'utf8');
      resources++;
      const ids = new Set<string>();
      for (const m of text.matchAll(/technique:\s*(T\d{4})\s*\n\s*sub[-_]technique:[ \t]*("(\d{3})")?/g)) {
        mappings++;
        for (const id of resolvedIds(a, m[3] ? `${m[1]}.${m[3]}` : m[1]!)) ids.add(id);
      }
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    return { exp, resources, pairs, mappings };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { exp, resources, pairs, mappings } = independent(a);
    // MANIFEST.json: 26 hunts, 29 mappings.
    expect([resources, mappings]).toEqual([26, 29]);
    const { records, warnings } = await collectSource(threatHunterPlaybookSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(resources);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    expect(got.size).toBe(exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t) ?? 0]);
    expect(exp.get('T1003.001')).toBeGreaterThan(0);
    expect(exp.get('T1059.001')).toBeGreaterThan(0);
  });
});
