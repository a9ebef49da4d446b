import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { atomicRedTeamSource, githubAnchor } from '../../src/sources/atomic-red-team.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const attack = () => realAttack();
const REAL = (rel: string) => readFileSync(join(DATA_DIR, 'atomic-red-team', rel));

function resolvedIds(a: AttackIndex, raw: string): string[] {
  const r = resolveTechniqueId(a, raw);
  return r.kind === 'ok' || r.kind === 'unknown' ? [r.id] : r.kind === 'revoked' ? r.ids : [];
}

/** technique → set of resource keys, from connector records. */
function byTechnique(a: AttackIndex, records: ResourceRecord[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) for (const t of r.techniques) for (const id of resolvedIds(a, t.id)) {
    if (!out.has(id)) out.set(id, new Set());
    out.get(id)!.add(r.key);
  }
  return out;
}

describe('atomic-red-team fixtures', () => {
  it('loads real tests in upstream order and warns on every malformed file', async () => {
    const dir = fixtureDir({
      'atomic-red-team/atomics/T1021.004/T1021.004.yaml': REAL('atomics/T1021.004/T1021.004.yaml'),
      'atomic-red-team/atomics/T1000/T1000.yaml': 'attack_technique: T1000\natomic_tests: [\n  - name: x',
      'atomic-red-team/atomics/T1001/T1001.yaml': 'attack_technique: T1001\natomic_tests:\n  name: not a list\n',
      'atomic-red-team/atomics/T1002/T1002.yaml': '',
      'atomic-red-team/atomics/T1003/T1003.yaml': Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
      'atomic-red-team/atomics/T1004/T1004.yaml': 'attack_technique: T1004\natomic_tests:\n- just a string\n- name: Good one\n  executor: {name: sh, command: id}\n',
      'atomic-red-team/atomics/T1005/T1005.yaml': `attack_technique: T1005\natomic_tests:\n- name: deep\n  x: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      'atomic-red-team/atomics/T1006/T1006.yaml': 'attack_technique: [" t1059.001", 42]\natomic_tests:\n- name: Spaced id\n  executor: {name: manual, steps: "1. click"}\n',
      'atomic-red-team/atomics/T1007/T1007.yaml': 'attack_technique: T1007\nattack_technique: T1008\natomic_tests: []\n',
      'atomic-red-team/atomics/T1009/README.md': 'not a test',
    });
    const { records, warnings } = await collectSource(atomicRedTeamSource, { dataDir: dir, attack: attack() });
    const files = warnings.map((w) => w.file).sort();
    expect(files).toEqual([
      'atomic-red-team/atomics/T1000/T1000.yaml',
      'atomic-red-team/atomics/T1001/T1001.yaml',
      'atomic-red-team/atomics/T1002/T1002.yaml',
      'atomic-red-team/atomics/T1003/T1003.yaml',
      'atomic-red-team/atomics/T1004/T1004.yaml',
      'atomic-red-team/atomics/T1005/T1005.yaml',
      'atomic-red-team/atomics/T1007/T1007.yaml',
    ]);
    expect(warnings.find((w) => w.file.includes('T1001'))!.reason).toMatch(/not a list/);
    expect(warnings.find((w) => w.file.includes('T1004'))!.reason).toMatch(/#1 is not a mapping/);

    const esxi = records.filter((r) => r.file === 'atomic-red-team/atomics/T1021.004/T1021.004.yaml');
    expect(esxi.map((r) => r.title)).toEqual(['ESXi - Enable SSH via PowerCLI', 'ESXi - Enable SSH via VIM-CMD']);
    expect(esxi.map((r) => r.key)).toEqual(['atomics/T1021.004/T1021.004.yaml#1', 'atomics/T1021.004/T1021.004.yaml#2']);
    expect(esxi[0]).toMatchObject({
      upstreamId: '8f6c14d1-f13d-4616-b7fc-98cc69fe56ec',
      url: 'https://github.com/redcanaryco/atomic-red-team/blob/master/atomics/T1021.004/T1021.004.md#atomic-test-1---esxi---enable-ssh-via-powercli',
      techniques: [{ id: 'T1021.004' }],
      meta: { number: 1, platforms: ['windows'], executor: 'powershell', elevation: true, dependencies: 1, dependencyExecutor: 'powershell' },
    });
    expect(esxi[1]!.meta).toMatchObject({ number: 2, executor: 'command_prompt', elevation: false });
    expect(typeof esxi[0]!.meta!.inputs).toBe('number');
    expect(String(esxi[0]!.meta!.command)).toContain('Connect-VIServer');

    expect(records.find((r) => r.title === 'Good one')!.key).toBe('atomics/T1004/T1004.yaml#2');
    const spaced = records.find((r) => r.title === 'Spaced id')!;
    expect(spaced.techniques).toEqual([{ id: ' t1059.001' }]);
    expect(spaced.meta).toMatchObject({ executor: 'manual', command: '1. click', inputs: 0, dependencies: 0, elevation: false });
  });

  it('links use the snapshot commit and GitHub heading anchors', async () => {
    expect(githubAnchor('Atomic Test #3 - `SeDebugPrivilege` token duplication')).toBe('atomic-test-3---sedebugprivilege-token-duplication');
    expect(githubAnchor('Atomic Test #1 - Access /etc/{shadow,passwd,master.passwd} with shell builtins')).toBe('atomic-test-1---access-etcshadowpasswdmasterpasswd-with-shell-builtins');
    expect(githubAnchor('Atomic Test #2 - Rundll32 with Control_RunDLL (C#) ')).toBe('atomic-test-2---rundll32-with-control_rundll-c');
    const dir = fixtureDir({ 'atomic-red-team/atomics/T1021.004/T1021.004.yaml': REAL('atomics/T1021.004/T1021.004.yaml') });
    const { records } = await collectSource(atomicRedTeamSource, { dataDir: dir, attack: attack(), provenance: { accessedFrom: 'manifest', commit: 'abc123' } });
    expect(records[1]!.url).toBe('https://github.com/redcanaryco/atomic-red-team/blob/abc123/atomics/T1021.004/T1021.004.md#atomic-test-2---esxi---enable-ssh-via-vim-cmd');
  });

  it('caps long commands', async () => {
    const long = 'x'.repeat(5000);
    const dir = fixtureDir({ 'atomic-red-team/atomics/T1010/T1010.yaml': `attack_technique: T1010\natomic_tests:\n- name: Long\n  executor:\n    name: sh\n    command: ${long}\n` });
    const { records } = await collectSource(atomicRedTeamSource, { dataDir: dir, attack: attack() });
    expect(String(records[0]!.meta!.command).length).toBe(2000);
  });
});

describe('atomic-red-team on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003.001', 'T1053.005', 'T1485', 'T1003', 'T1082', 'T1562.001', 'T1047', 'T1548.002'];

  /** Independent reading: every atomics/T*\/T*.yaml, each atomic_tests entry is a resource. */
  function independent(a: AttackIndex) {
    const root = join(DATA_DIR, 'atomic-red-team', 'atomics');
    const byTech = new Map<string, Set<string>>();
    let resources = 0;
    let pairs = 0;
    for (const d of readdirSync(root).filter((x) => x.startsWith('T')).sort()) {
      const doc = parse(readFileSync(join(root, d, `${d}.yaml`), 'utf8')) as { attack_technique: string; atomic_tests: unknown[] };
      doc.atomic_tests.forEach((_, i) => {
        resources++;
        const ids = new Set(resolvedIds(a, doc.attack_technique));
        pairs += ids.size;
        for (const id of ids) {
          if (!byTech.has(id)) byTech.set(id, new Set());
          byTech.get(id)!.add(`${d}#${i + 1}`);
        }
      });
    }
    return { resources, pairs, byTech };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = attack();
    const { records, warnings } = await collectSource(atomicRedTeamSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    const exp = independent(a);
    const got = byTechnique(a, records);
    expect(records.length).toBe(exp.resources);
    expect(new Set(records.map((r) => r.key)).size).toBe(records.length);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(exp.pairs);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.byTech.get(t)?.size ?? 0]);
    expect(got.get('T1021.004')!.size).toBe(2);
  });

  it('keeps T1059.001 tests in upstream order', async () => {
    // Names read straight from the raw lines, not through a YAML parser.
    const raw = readFileSync(join(DATA_DIR, 'atomic-red-team/atomics/T1059.001/T1059.001.yaml'), 'utf8');
    const names = [...raw.matchAll(/^- name: (.*?)\s*$/gm)].map((m) => m[1]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
    expect(names.length).toBeGreaterThan(10);
    const { records } = await collectSource(atomicRedTeamSource, { dataDir: DATA_DIR, attack: attack() });
    const got = records.filter((r) => r.key.startsWith('atomics/T1059.001/'));
    expect(got.map((r) => r.title)).toEqual(names);
    expect(got.map((r) => r.meta!.number)).toEqual(names.map((_, i) => i + 1));
    expect(got[0]!.title).toBe('Mimikatz');
  });
});
