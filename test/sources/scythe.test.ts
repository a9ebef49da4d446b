import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scytheSource, techniqueFromTag } from '../../src/sources/scythe.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const CRED = 'CompoundActions/T1003 - OS Credential Dumping/T1003.001_PS_CredDump_scythe_threat.json';
const DARKSIDE = 'DarkSide/DarkSide_scythe_threat.json';
const REAL = (rel: string) => readFileSync(join(DATA_DIR, 'scythe', rel));

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

const threat = (script: unknown) => JSON.stringify({ threat: { name: 't', display_name: 'T', operating_system_name: 'windows', script } });

describe('scythe fixtures', () => {
  it('maps a threat to every tagged technique, encodes folder spaces, warns on the malformed upstream file', async () => {
    const dir = fixtureDir({
      [`scythe/${CRED}`]: REAL(CRED),
      [`scythe/${DARKSIDE}`]: REAL(DARKSIDE),
      'scythe/bad/NoScript_scythe_threat.json': JSON.stringify({ threat: { name: 'x', script: [] } }),
      'scythe/bad/NotThreat_scythe_threat.json': '[1,2]',
      'scythe/bad/Tags_scythe_threat.json': threat({
        0: { type: 'message', module: 'run', request: 'whoami', rtags: 'att&ck-technique:T1033' },
        1: { type: 'message', module: 'run', request: 'schtasks', rtags: ['T1053.005', 'att&ck-tactic:TA0002', 'att&ck', 42] },
        2: 'not a step',
        10: { type: 'message', module: 'run', request: 'later', rtags: ['att&ck-technique:T1053.005'] },
      }),
      'scythe/bad/README.md': 'ignored',
    });
    const { records, warnings } = await collectSource(scytheSource, { dataDir: dir, attack: realAttack() });
    const byFile = (f: string) => warnings.filter((w) => w.file === f).map((w) => w.reason);
    expect(byFile(`scythe/${DARKSIDE}`)).toHaveLength(1);
    expect(byFile(`scythe/${DARKSIDE}`)[0]).toMatch(/^JSON/);
    expect(byFile('scythe/bad/NoScript_scythe_threat.json')).toHaveLength(1);
    expect(byFile('scythe/bad/NotThreat_scythe_threat.json')).toHaveLength(1);
    expect(byFile('scythe/bad/Tags_scythe_threat.json')).toEqual(['step 0: rtags is not a list', 'step 2 is not an object: skipped']);
    expect(warnings).toHaveLength(5);

    expect(records.map((r) => r.key)).toEqual([CRED, 'bad/Tags_scythe_threat.json']);
    const cred = records[0]!;
    expect(cred).toMatchObject({
      title: 'PS-CredDump',
      breadcrumb: ['CompoundActions', 'T1003 - OS Credential Dumping'],
      url: 'https://github.com/scythe-io/community-threats/blob/master/CompoundActions/T1003%20-%20OS%20Credential%20Dumping/T1003.001_PS_CredDump_scythe_threat.json',
      meta: { platforms: ['windows'] },
    });
    expect(cred.techniques.map((t) => t.id)).toEqual(['T1059.001', 'T1003', 'T1218.011', 'T1041']);
    expect(cred.techniques[3]!.note).toMatch(/^step 8: uploader --remotepath/);
    expect(String(cred.meta!.command)).toContain('MiniDump');

    const tags = records[1]!;
    expect(tags.techniques).toEqual([{ id: 'T1053.005', note: 'step 1: run schtasks; step 10: run later' }]);
  });

  it('caps technique references per threat', async () => {
    const rtags = Array.from({ length: 10_000 }, (_, i) => `att&ck-technique:T${String(1000 + (i % 9000)).padStart(4, '0')}.${String(i % 1000).padStart(3, '0')}`);
    const dir = fixtureDir({ 'scythe/big_scythe_threat.json': threat({ 0: { type: 'message', module: 'run', request: 'x', rtags } }) });
    const { records, warnings } = await collectSource(scytheSource, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 50 } });
    expect(records[0]!.techniques).toHaveLength(50);
    expect(warnings).toHaveLength(1);
  });

  it('reads technique ids out of rtags only', () => {
    expect(techniqueFromTag('att&ck-technique:T1053.005')).toBe('T1053.005');
    expect(techniqueFromTag('T1482')).toBe('T1482');
    expect(techniqueFromTag('att&ck-tactic:TA0007')).toBeUndefined();
    expect(techniqueFromTag('att&ck')).toBeUndefined();
    expect(techniqueFromTag('atomic')).toBeUndefined();
  });
});

describe('scythe on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003.001', 'T1053.005', 'T1485', 'T1082', 'T1486', 'T1003', 'T1547.001', 'T1041'];

  /** Independent reading: regex over the raw text of every threat that is valid JSON. */
  function independent(a: AttackIndex) {
    const exp = new Map<string, Set<string>>();
    let resources = 0;
    let pairs = 0;
    const broken: string[] = [];
    const root = join(DATA_DIR, 'scythe');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('_scythe_threat.json'));
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      try {
        JSON.parse(text);
      } catch {
        broken.push(f);
        continue;
      }
      resources++;
      const raws = [...text.matchAll(/"(?:att&ck-technique:)?(T\d{4}(?:\.\d{3})?)"/gi)].map((m) => m[1]!);
      const ids = new Set(raws.flatMap((r) => resolvedIds(a, r)));
      pairs += ids.size;
      for (const id of ids) {
        if (!exp.has(id)) exp.set(id, new Set());
        exp.get(id)!.add(f);
      }
    }
    return { exp, resources, pairs, broken };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const { exp, resources, pairs, broken } = independent(a);
    expect(broken).toEqual([DARKSIDE]);
    const { records, warnings } = await collectSource(scytheSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings.map((w) => w.file)).toEqual([`scythe/${DARKSIDE}`]);
    expect(records.length).toBe(resources);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t)?.size ?? 0]);
  });
});
