import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSource } from '../../src/sources/collect.js';
import { attackVersionsOf, ctidSources } from '../../src/sources/ctid.js';
import type { ResourceRecord, Source } from '../../src/sources/types.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const source = (name: string): Source => ctidSources.find((s) => s.name === name)!;
const REV5 = 'ctid/nist_800_53/attack-16.1/nist_800_53-rev5/enterprise/nist_800_53-rev5_attack-16.1-enterprise.json';
const REV4 = 'ctid/nist_800_53/attack-14.1/nist_800_53-rev4/enterprise/nist_800_53-rev4_attack-14.1-enterprise.json';
const AWS = 'ctid/aws/attack-16.1/aws-12.12.2024/enterprise/aws-12.12.2024_attack-16.1-enterprise.json';
const AZURE = 'ctid/azure/attack-16.1/azure-04.26.2025/enterprise/azure-04.26.2025_attack-16.1-enterprise.json';
const M365 = 'ctid/m365/attack-16.1/m365-07.18.2025/enterprise/m365-07.18.2025_attack-16.1-enterprise.json';
const KEV = 'ctid/kev/attack-16.1/kev-07.28.2025/mobile/kev-07.28.2025_attack-16.1-mobile.json';
const INTEL = 'ctid/intel-vpro/attack-15.1/intel-vpro-08.20.2024/enterprise/intel-vpro-08.20.2024_attack-15.1-enterprise.json';

const meta = (attackVersion: string, extra: object = {}) => ({
  mapping_version: '', technology_domain: 'enterprise', attack_version: attackVersion, mapping_framework: 'nist_800_53',
  mapping_framework_version: 'rev5', mapping_types: { mitigates: { name: 'mitigates', description: '' } },
  capability_groups: { AC: 'Access Control' }, ...extra,
});
const row = (capability_id: unknown, attack_object_id: unknown, extra: object = {}) => ({
  capability_id, capability_description: 'Information Flow Enforcement', mapping_type: 'mitigates', attack_object_id,
  capability_group: 'AC', references: [], status: 'complete', ...extra,
});

const rev5Fixture = {
  metadata: meta('16.1'),
  mapping_objects: [
    row('AC-4 ', 'T1021.004', { comments: 'Restrict\n  SSH   flows.' }),
    row('AC-4', 'T1059.001'),
    row('AC-4', 'T9999.999'), // unknown to every ATT&CK: passed through as written
    row('AC-4', 'T1574.002'), // revoked in v18.1: passed through, resolve.ts carries it
    row('SC-7', ' t1021.004'), // sloppy id: passed through raw
    { capability_id: null, capability_group: null, capability_description: null, mapping_type: null,
      attack_object_id: 'T1496.002', comments: 'no mitigations in att&ck', references: [], status: 'non_mappable' },
    { capability_id: null, mapping_type: 'non_mappable', attack_object_id: 'T1650', status: 'non_mappable' },
    row('PM-1', null, { mapping_type: 'non_mappable', status: 'non_mappable' }), // control that maps to nothing
    'not an object',
    row('AC-4', 42),
    row('', 'T1003'),
    row('SI-4', null),
  ],
};

const awsFixture = {
  metadata: { ...meta('16.1'), mapping_framework: 'aws', mapping_types: { technique_scores: { name: 'technique_scores', description: '' } } },
  mapping_objects: [
    row('aws_cloudtrail', 'T1078', { capability_description: 'AWS CloudTrail', mapping_type: 'technique_scores', score_category: 'detect', score_value: 'partial', capability_group: 'aws_cloudtrail' }),
  ],
};

function fixture(): string {
  return fixtureDir({
    [REV5]: JSON.stringify(rev5Fixture),
    // Stray file that is not a mapping file of the mapex layout: ignored.
    'ctid/nist_800_53/attack-16.1/nist_800_53-rev5/enterprise/notes.json': '{}',
    [AWS]: '{ "metadata": {, broken',
    [AZURE]: JSON.stringify({ metadata: meta('16.1'), mapping_objects: { 'AC-4': 'T1021' } }),
    [M365]: '',
    [KEV]: JSON.stringify({
      metadata: { ...meta('16.1'), mapping_framework: 'kev', technology_domain: 'mobile' },
      mapping_objects: [row('CVE-2023-4863', 'T1404', { capability_description: 'Google Chromium WebP Heap-Based Buffer Overflow', mapping_type: 'exploitation_technique', capability_group: 'buffer_overflow' })],
    }),
    [INTEL]: JSON.stringify({
      metadata: { ...meta('15.1'), mapping_types: { 'win11-sb': { name: 'Win 11, Secure Boot', description: '' } } },
      mapping_objects: [row('intel-ptt', 'T1542', { capability_description: 'Intel Platform Trust Technology', mapping_type: 'win11-sb', score_category: 'protect', score_value: 'significant' })],
    }),
  });
}

async function load(name: string, dataDir: string) {
  return collectSource(source(name), { dataDir, attack: realAttack() });
}

describe('ctid sources: contract', () => {
  it('has the fixed names, orders and titles', () => {
    expect(ctidSources.map((s) => [s.name, s.order])).toEqual([
      ['ctid-nist-800-53-rev5', 30], ['ctid-nist-800-53-rev4', 31], ['ctid-aws', 32], ['ctid-azure', 33], ['ctid-gcp', 34],
      ['ctid-m365', 35], ['ctid-cri-profile', 36], ['ctid-csa-ccm', 37], ['ctid-veris', 38], ['ctid-kev', 39], ['ctid-intel-vpro', 40],
    ]);
    expect(source('ctid-nist-800-53-rev5').title).toBe('NIST 800-53 rev5 (CTID Mappings Explorer)');
    expect(source('ctid-aws').title).toBe('AWS (CTID Mappings Explorer)');
    for (const s of ctidSources) {
      expect(s.pillar).toBe('policy');
      expect(s.folder).toBe('ctid');
      expect(s.upstream?.repo).toBe('center-for-threat-informed-defense/mappings-explorer');
      expect(s.upstream?.defaultRef).toBe('main');
      for (const p of s.upstream!.paths) expect(p).toMatch(/^mappings\/.+_attack-[\d.]+-(enterprise|mobile|ics)\.json$/);
      expect(s.homepage).toMatch(/^https:\/\/center-for-threat-informed-defense\.github\.io\/mappings-explorer\/external\/[\w-]+\/$/);
      expect(s.techniquePage).toContain('{id}');
    }
  });

  it('each source is present only when its own file is', () => {
    const dir = fixtureDir({ [REV5]: JSON.stringify(rev5Fixture) });
    expect(ctidSources.filter((s) => s.present!(dir)).map((s) => s.name)).toEqual(['ctid-nist-800-53-rev5']);
    expect(source('ctid-nist-800-53-rev4').present!(fixtureDir({ [REV4]: '{}' }))).toBe(true);
  });
});

describe('ctid sources: fixtures', () => {
  it('builds one record per trimmed capability id, keeping raw technique ids', async () => {
    const { records, warnings } = await load('ctid-nist-800-53-rev5', fixture());
    expect(records.map((r) => r.key)).toEqual(['AC-4', 'SC-7', '#non-mappable']);
    const ac4 = records[0]!;
    expect(ac4.title).toBe('AC-4 Information Flow Enforcement');
    expect(ac4.file).toBe(REV5);
    expect(ac4.url).toBe('https://center-for-threat-informed-defense.github.io/mappings-explorer/external/nist/attack-16.1/domain-enterprise/nist-rev5/AC-4/');
    expect(ac4.techniques).toEqual([
      { id: 'T1021.004', relation: 'mitigates', note: 'Restrict SSH flows.', attackVersion: '16.1' },
      { id: 'T1059.001', relation: 'mitigates', attackVersion: '16.1' },
      { id: 'T9999.999', relation: 'mitigates', attackVersion: '16.1' },
      { id: 'T1574.002', relation: 'mitigates', attackVersion: '16.1' },
    ]);
    expect(ac4.meta).toMatchObject({ framework: 'nist_800_53', frameworkVersion: 'rev5', attackVersion: '16.1', capabilityGroup: 'Access Control', mappingTypes: ['mitigates'] });
    expect(records[1]!.techniques[0]!.id).toBe(' t1021.004');
    expect(attackVersionsOf(records)).toEqual(['16.1']);

    const attack = realAttack();
    expect(resolveTechniqueId(attack, 'T9999.999').kind).toBe('unknown');
    expect(resolveTechniqueId(attack, 'T1574.002').kind).toBe('revoked');
    expect(resolveTechniqueId(attack, ' t1021.004')).toMatchObject({ kind: 'ok', id: 'T1021.004' });

    expect(warnings.map((w) => [w.file, w.reason])).toEqual([
      [REV5, 'mapping_objects[8]: not an object'],
      [REV5, 'mapping_objects[9]: attack_object_id is not a string'],
      [REV5, 'mapping_objects[10]: capability_id missing or not a string'],
      [REV5, 'mapping_objects[11] (SI-4): no attack_object_id'],
    ]);
  });

  it('turns non_mappable rows into one assessment-only record', async () => {
    const { records } = await load('ctid-nist-800-53-rev5', fixture());
    const nm = records.find((r) => r.key === '#non-mappable')!;
    expect(nm.title).toBe('Assessed: not mappable');
    expect(nm.meta).toMatchObject({ assessmentOnly: true, unmappedCapabilities: 1, attackVersion: '16.1' });
    expect(nm.techniques).toEqual([
      { id: 'T1496.002', relation: 'non_mappable', note: 'no mitigations in att&ck', attackVersion: '16.1' },
      { id: 'T1650', relation: 'non_mappable', attackVersion: '16.1' },
    ]);
    // Rows with an assessment only are not resources.
    expect(records.filter((r) => !r.meta?.assessmentOnly).flatMap((r) => r.techniques).some((t) => t.relation === 'non_mappable')).toBe(false);
  });

  it('warns on a corrupt file, a non-list mapping_objects and an empty file, and carries on', async () => {
    const dir = fixture();
    const aws = await load('ctid-aws', dir);
    expect(aws.records).toEqual([]);
    expect(aws.warnings).toHaveLength(1);
    expect(aws.warnings[0]!.file).toBe(AWS);
    expect(aws.warnings[0]!.reason).toMatch(/^JSON: /);

    const azure = await load('ctid-azure', dir);
    expect(azure.records).toEqual([]);
    expect(azure.warnings.map((w) => [w.file, w.reason])).toEqual([[AZURE, 'mapping_objects is not a list']]);

    const m365 = await load('ctid-m365', dir);
    expect(m365.warnings.map((w) => [w.file, w.reason])).toEqual([[M365, 'empty file']]);

    // The good file next to them still loads.
    expect((await load('ctid-nist-800-53-rev5', dir)).records).toHaveLength(3);
  });

  it('links KEV CVEs to NVD and names scored relations by their score', async () => {
    const dir = fixture();
    const kev = (await load('ctid-kev', dir)).records;
    expect(kev).toHaveLength(1);
    expect(kev[0]).toMatchObject({ key: 'CVE-2023-4863', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-4863', meta: { domains: ['mobile'] } });
    expect(kev[0]!.techniques).toEqual([{ id: 'T1404', relation: 'exploitation_technique', attackVersion: '16.1' }]);

    const intel = (await load('ctid-intel-vpro', dir)).records;
    expect(intel[0]!.title).toBe('Intel Platform Trust Technology');
    expect(intel[0]!.techniques[0]!.relation).toBe('protect: significant via Win 11, Secure Boot');

    const aws = (await load('ctid-aws', fixtureDir({ [AWS]: JSON.stringify(awsFixture) }))).records;
    expect(aws[0]!.title).toBe('AWS CloudTrail');
    expect(aws[0]!.techniques[0]!.relation).toBe('detect: partial');
  });

  it('caps technique references per resource with a warning', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => row('AC-4', `T1${String(i).padStart(3, '0')}`));
    const dir = fixtureDir({ [REV5]: JSON.stringify({ metadata: meta('16.1'), mapping_objects: rows }) });
    const { records, warnings } = await collectSource(source('ctid-nist-800-53-rev5'), { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 10 } });
    expect(records[0]!.techniques).toHaveLength(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.file).toBe(REV5);
  });
});

// ---------------------------------------------------------------------------------------------
// Full data, checked against an independent reading of the raw JSON.

/** Every `.json` under a folder, sorted; written here so the check shares nothing with the connector. */
function jsonFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.json')) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

const FRAMEWORK_DIRS: Record<string, (path: string) => boolean> = {
  'ctid-nist-800-53-rev5': (p) => p.includes('/nist_800_53-rev5/'),
  'ctid-nist-800-53-rev4': (p) => p.includes('/nist_800_53-rev4/'),
  'ctid-aws': (p) => p.includes('/ctid/aws/'),
  'ctid-azure': (p) => p.includes('/ctid/azure/'),
  'ctid-gcp': (p) => p.includes('/ctid/gcp/'),
  'ctid-m365': (p) => p.includes('/ctid/m365/'),
  'ctid-cri-profile': (p) => p.includes('/ctid/cri_profile/'),
  'ctid-csa-ccm': (p) => p.includes('/ctid/csa_ccm/'),
  'ctid-veris': (p) => p.includes('/ctid/veris/'),
  'ctid-kev': (p) => p.includes('/ctid/kev/'),
  'ctid-intel-vpro': (p) => p.includes('/ctid/intel-vpro/'),
};

interface Raw {
  capabilities: Set<string>;
  rawPairs: Set<string>;
  byRawTechnique: Map<string, Set<string>>;
}

function readRaw(name: string): Raw {
  const raw: Raw = { capabilities: new Set(), rawPairs: new Set(), byRawTechnique: new Map() };
  const files = jsonFilesUnder(join(DATA_DIR, 'ctid')).filter((p) => !p.includes('/schema/') && FRAMEWORK_DIRS[name]!(p));
  for (const f of files) {
    const rows = (JSON.parse(readFileSync(f, 'utf8')) as { mapping_objects: Record<string, string | null>[] }).mapping_objects;
    for (const r of rows) {
      if (r.status === 'non_mappable' || r.mapping_type === 'non_mappable') continue;
      const cap = (r.capability_id ?? '').trim();
      const tech = r.attack_object_id;
      if (!cap || !tech) continue;
      raw.capabilities.add(cap);
      raw.rawPairs.add(`${cap}|${tech}`);
      if (!raw.byRawTechnique.has(tech)) raw.byRawTechnique.set(tech, new Set());
      raw.byRawTechnique.get(tech)!.add(cap);
    }
  }
  return raw;
}

/** technique (resolved) → resource keys, the way the knowledge base will see it. */
function resolvedIndex(entries: Iterable<[string, string]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [key, rawId] of entries) {
    const r = resolveTechniqueId(realAttack(), rawId);
    const ids = r.kind === 'revoked' ? r.ids : r.kind === 'invalid' ? [] : [r.id];
    for (const id of ids) {
      if (!out.has(id)) out.set(id, new Set());
      out.get(id)!.add(key);
    }
  }
  return out;
}

const pairsOf = (records: ResourceRecord[]): [string, string][] =>
  records.filter((r) => !r.meta?.assessmentOnly).flatMap((r) => r.techniques.map((t): [string, string] => [r.key, t.id]));

const sorted = (s: Set<string> | undefined) => [...(s ?? [])].sort();
const TECHNIQUES = ['T1021.004', 'T1059.001', 'T1078', 'T1190', 'T1110', 'T1486', 'T1574.001', 'T1003.001', 'T1068', 'T1566.001'];

// Counted from the raw files with a separate script: capabilities with a mapping, distinct
// (capability, raw technique id) pairs, technique-side non_mappable rows.
const EXPECTED: Record<string, { resources: number; rawPairs: number; nonMappable: number; t1021004: number }> = {
  'ctid-nist-800-53-rev5': { resources: 109, rawPairs: 5264, nonMappable: 96, t1021004: 15 },
  'ctid-nist-800-53-rev4': { resources: 108, rawPairs: 4971, nonMappable: 89, t1021004: 15 },
  'ctid-aws': { resources: 20, rawPairs: 473, nonMappable: 0, t1021004: 3 },
  'ctid-azure': { resources: 38, rawPairs: 946, nonMappable: 0, t1021004: 6 },
  'ctid-gcp': { resources: 40, rawPairs: 508, nonMappable: 0, t1021004: 2 },
  'ctid-m365': { resources: 38, rawPairs: 684, nonMappable: 0, t1021004: 0 },
  'ctid-cri-profile': { resources: 60, rawPairs: 2152, nonMappable: 0, t1021004: 6 },
  'ctid-csa-ccm': { resources: 57, rawPairs: 790, nonMappable: 0, t1021004: 2 },
  'ctid-veris': { resources: 182, rawPairs: 1644, nonMappable: 0, t1021004: 0 },
  'ctid-kev': { resources: 424, rawPairs: 1222, nonMappable: 0, t1021004: 2 },
  'ctid-intel-vpro': { resources: 6, rawPairs: 200, nonMappable: 0, t1021004: 0 },
};

describe('ctid sources: full shared data', () => {
  for (const name of Object.keys(EXPECTED)) {
    it(`${name} matches an independent reading of the raw files`, async () => {
      const { records } = await load(name, DATA_DIR);
      const raw = readRaw(name);
      const exp = EXPECTED[name]!;
      const resources = records.filter((r) => !r.meta?.assessmentOnly);
      expect(raw.capabilities.size).toBe(exp.resources);
      expect(resources).toHaveLength(exp.resources);
      expect(new Set(resources.map((r) => r.key))).toEqual(raw.capabilities);
      expect(raw.rawPairs.size).toBe(exp.rawPairs);
      expect(new Set(pairsOf(records).map(([k, t]) => `${k}|${t}`))).toEqual(raw.rawPairs);
      const nm = records.find((r) => r.meta?.assessmentOnly);
      expect(nm?.techniques.length ?? 0).toBe(exp.nonMappable);
      expect(raw.byRawTechnique.get('T1021.004')?.size ?? 0).toBe(exp.t1021004);

      const mine = resolvedIndex([...raw.rawPairs].map((p): [string, string] => [p.split('|')[0]!, p.split('|')[1]!]));
      const theirs = resolvedIndex(pairsOf(records));
      for (const t of TECHNIQUES) expect(sorted(theirs.get(t)), t).toEqual(sorted(mine.get(t)));
      const count = (m: Map<string, Set<string>>) => [...m.values()].reduce((n, s) => n + s.size, 0);
      expect(count(theirs)).toBe(count(mine));
      for (const r of resources) expect(r.techniques.every((t) => t.attackVersion === r.meta!.attackVersion)).toBe(true);
    });
  }

  it('NIST 800-53 rev5: the controls for T1021.004, and the ids revoked since ATT&CK 16.1', async () => {
    const { records } = await load('ctid-nist-800-53-rev5', DATA_DIR);
    const index = resolvedIndex(pairsOf(records));
    expect(sorted(index.get('T1021.004'))).toEqual([
      'AC-02', 'AC-03', 'AC-05', 'AC-06', 'AC-07', 'AC-17', 'AC-20', 'CM-02', 'CM-05', 'CM-06', 'CM-08', 'IA-02', 'IA-05', 'RA-05', 'SI-04',
    ]);
    const revoked = new Set(pairsOf(records).map(([, id]) => id).filter((id) => resolveTechniqueId(realAttack(), id).kind === 'revoked'));
    const raw = rawAttack();
    const rawRevoked = new Set(pairsOf(records).map(([, id]) => id).filter((id) => raw.techniques.get(id)?.revoked));
    expect([...revoked].sort()).toEqual([...rawRevoked].sort());
    expect(revoked.size).toBeGreaterThan(0);
    for (const id of revoked) expect(resolveTechniqueId(realAttack(), id)).toMatchObject({ kind: 'revoked', ids: raw.resolve(id) });
    expect(attackVersionsOf(records)).toEqual(['16.1']);
    expect(records.find((r) => r.key === '#non-mappable')!.techniques.every((t) => t.relation === 'non_mappable')).toBe(true);
  });
});
