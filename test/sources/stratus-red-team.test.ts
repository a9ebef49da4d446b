import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogRef, stratusDocUrl, stratusRedTeamSource } from '../../src/sources/stratus-red-team.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const INDEX = 'stratus-red-team/docs/index.yaml';

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

const FIXTURE = `AWS:
    Impact:
        - id: aws.impact.s3-ransomware-batch-deletion
          name: S3 Ransomware through batch file deletion
          isSlow: false
          mitreAttackTactics:
            - Impact
          frameworkmappings:
            - framework: Threat Technique Catalog for AWS
              techniques:
                - name: 'Data Destruction: Object Deletion'
                  id: T1485.A002
                - name: 'Data Destruction'
                  id: T1485
          platform: AWS
          isIdempotent: false
    Persistence:
        - id: aws.persistence.iam-create-admin-user
          name: Create an administrative IAM User
          mitreAttackTactics: [Persistence, Privilege Escalation]
          platform: AWS
    Privilege Escalation:
        - id: aws.persistence.iam-create-admin-user
          name: Create an administrative IAM User
          mitreAttackTactics: [Persistence, Privilege Escalation]
          platform: AWS
        - name: no id here
    Discovery: not a list
Entra ID:
    Persistence:
        - id: entra-id.persistence.guest-user
          name: Create Guest User
          frameworkmappings: oops
          platform: Entra ID
Kubernetes: 12
`;

describe('stratus-red-team fixtures', () => {
  it('merges per-tactic listings, maps catalog variants to ATT&CK, warns on bad shapes', async () => {
    const dir = fixtureDir({ [INDEX]: FIXTURE });
    const { records, warnings } = await collectSource(stratusRedTeamSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.every((w) => w.file === INDEX)).toBe(true);
    expect(warnings.map((w) => w.reason)).toEqual([
      'AWS / Privilege Escalation: an entry without an id: skipped',
      'AWS / Discovery: not a list',
      'entra-id.persistence.guest-user: frameworkmappings is not a list',
      'platform Kubernetes: not a mapping of tactics',
    ]);
    expect(records.map((r) => r.upstreamId)).toEqual(['aws.impact.s3-ransomware-batch-deletion', 'aws.persistence.iam-create-admin-user', 'entra-id.persistence.guest-user']);
    const ransom = records[0]!;
    expect(ransom.techniques).toEqual([{ id: 'T1485', note: 'AWS Threat Technique Catalog T1485.A002' }]);
    expect(ransom).toMatchObject({
      key: 'docs/index.yaml#aws.impact.s3-ransomware-batch-deletion',
      url: 'https://stratus-red-team.cloud/attack-techniques/AWS/aws.impact.s3-ransomware-batch-deletion/',
      meta: { platforms: ['AWS'], tactics: ['Impact'], slow: false, idempotent: false, catalogIds: ['T1485.A002', 'T1485'] },
    });
    expect(records[1]!.meta!.tactics).toEqual(['Persistence', 'Privilege Escalation']);
    expect(records[1]!.techniques).toEqual([]);
    expect(records[2]!.url).toBe('https://stratus-red-team.cloud/attack-techniques/entra-id/entra-id.persistence.guest-user/');
  });

  it('warns on malformed YAML and a missing index', async () => {
    const bad = await collectSource(stratusRedTeamSource, { dataDir: fixtureDir({ [INDEX]: 'AWS:\n  - [unclosed\n' }), attack: realAttack() });
    expect(bad.records).toEqual([]);
    expect(bad.warnings.map((w) => w.file)).toEqual([INDEX]);
    const missing = await collectSource(stratusRedTeamSource, { dataDir: fixtureDir({ 'stratus-red-team/LICENSE': 'x' }), attack: realAttack() });
    expect(missing.warnings.map((w) => w.file)).toEqual([INDEX]);
  });

  it('maps ids and doc folders', () => {
    expect(catalogRef('T1078.A001')).toEqual({ id: 'T1078', note: 'AWS Threat Technique Catalog T1078.A001' });
    expect(catalogRef('T1562.008')).toEqual({ id: 'T1562.008' });
    expect(stratusDocUrl('Kubernetes', 'k8s.persistence.create-token')).toBe('https://stratus-red-team.cloud/attack-techniques/kubernetes/k8s.persistence.create-token/');
    expect(stratusDocUrl('Azure', 'azure.execution.vm-run-command')).toBe('https://stratus-red-team.cloud/attack-techniques/azure/azure.execution.vm-run-command/');
    expect(stratusDocUrl('GCP', 'gcp.discovery.enumerate-permissions')).toBe('https://stratus-red-team.cloud/attack-techniques/GCP/gcp.discovery.enumerate-permissions/');
  });
});

describe('stratus-red-team on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003.001', 'T1053.005', 'T1485', 'T1562.008', 'T1496', 'T1078', 'T1552.005', 'T1098.001'];

  /**
   * Independent reading of the raw lines: a stratus entry starts at `        - id: <stratus id>`
   * (8 spaces) and its catalog ids are `                  id: Txxxx` lines below it.
   */
  function independent(a: AttackIndex) {
    const lines = readFileSync(join(DATA_DIR, INDEX), 'utf8').split('\n');
    const ids = new Map<string, Set<string>>();
    let current = '';
    for (const line of lines) {
      const entry = /^ {8}- id: (\S+)\s*$/.exec(line);
      if (entry) {
        current = entry[1]!;
        if (!ids.has(current)) ids.set(current, new Set());
        continue;
      }
      const t = /^\s+id: (T\d{4}(?:\.\d{3})?)(?:\.A\d{3})?\s*$/.exec(line);
      if (t && current) for (const id of resolvedIds(a, t[1]!)) ids.get(current)!.add(id);
    }
    const exp = new Map<string, number>();
    let pairs = 0;
    for (const set of ids.values()) for (const id of set) {
      exp.set(id, (exp.get(id) ?? 0) + 1);
      pairs++;
    }
    return { resources: ids.size, pairs, exp };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { resources, pairs, exp } = independent(a);
    const { records, warnings } = await collectSource(stratusRedTeamSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(resources);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t) ?? 0]);
    expect(got.get('T1485')!.size).toBeGreaterThanOrEqual(2);
    expect(records.filter((r) => r.techniques.length === 0).length).toBeGreaterThan(0);
  });
});
