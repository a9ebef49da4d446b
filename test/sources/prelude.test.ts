import { describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { preludeSource } from '../../src/sources/prelude.js';
import { collectSource } from '../../src/sources/collect.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

const REAL = (rel: string) => readFileSync(join(DATA_DIR, 'prelude', rel));

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

describe('prelude fixtures', () => {
  it('loads real TTPs (.yml and .yaml) and warns on malformed files', async () => {
    const dir = fixtureDir({
      'prelude/ttps/credential-access/6ef19cb1-f8e5-4cdb-b3f1-98953174375f.yml': REAL('ttps/credential-access/6ef19cb1-f8e5-4cdb-b3f1-98953174375f.yml'),
      'prelude/ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yaml': REAL('ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yaml'),
      'prelude/ttps/bad/broken.yml': 'id: x\nname: "unclosed\n',
      'prelude/ttps/bad/list.yml': '- id: x\n',
      'prelude/ttps/bad/notech.yml': 'id: n1\nname: No technique\ntechnique: T1082\nplatforms: {linux: {sh: {command: "ls #{dir}"}}}\n',
      'prelude/ttps/bad/spaced.yml': 'id: s1\nname: Spaced\ntechnique: {id: " T1003 .001"}\nplatforms: "not a map"\n',
      'prelude/ttps/bad/utf.yml': Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xc3, 0x28, 0x0a]),
      'prelude/README.md': '# not a ttp',
    });
    const { records, warnings } = await collectSource(preludeSource, { dataDir: dir, attack: realAttack() });
    expect(warnings.map((w) => w.file).sort()).toEqual(['prelude/ttps/bad/broken.yml', 'prelude/ttps/bad/list.yml', 'prelude/ttps/bad/notech.yml', 'prelude/ttps/bad/spaced.yml', 'prelude/ttps/bad/utf.yml']);
    // A spaced id still maps (to what it spells), and the file is named so upstream can fix it.
    expect(warnings.find((w) => w.file === 'prelude/ttps/bad/spaced.yml')!.reason).toBe('technique id " T1003 .001" has whitespace inside: read as T1003.001');
    expect(records.map((r) => r.key)).toEqual([
      'ttps/bad/notech.yml',
      'ttps/bad/spaced.yml',
      'ttps/credential-access/6ef19cb1-f8e5-4cdb-b3f1-98953174375f.yml',
      'ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yaml',
    ]);
    const asrep = records[2]!;
    expect(asrep).toMatchObject({
      upstreamId: '6ef19cb1-f8e5-4cdb-b3f1-98953174375f',
      title: 'Run AS-REP roasting assembly',
      breadcrumb: ['credential-access'],
      url: 'https://github.com/preludeorg/community/blob/master/ttps/credential-access/6ef19cb1-f8e5-4cdb-b3f1-98953174375f.yml',
      techniques: [{ id: 'T1558.004' }],
      meta: { platforms: ['windows'], executors: ['execute-assembly'], dependencies: 1, payloads: ['rubeus_donut.bin'], inputs: 0 },
    });
    expect(records[3]!.meta).toMatchObject({ platforms: ['linux', 'windows', 'darwin'], executors: ['sh', 'cmd'] });
    expect(records[0]!.meta!.inputs).toBe(1);
    expect(records[1]!.techniques).toEqual([{ id: ' T1003 .001' }]);
    expect(resolveTechniqueId(realAttack(), ' T1003 .001')).toMatchObject({ kind: 'ok', id: 'T1003.001' });
  });
});

describe('prelude duplicates', () => {
  it('one TTP as .yml and .yaml is one resource (the .yml); a shared id with another technique is a warning', async () => {
    const yml = REAL('ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yml');
    const dir = fixtureDir({
      'prelude/ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yaml': REAL('ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yaml'),
      'prelude/ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yml': yml,
      'prelude/ttps/other/a.yml': 'id: same-id\nname: A\ntechnique: {id: T1082}\n',
      'prelude/ttps/other/b.yml': 'id: same-id\nname: B\ntechnique: {id: T1005}\n',
    });
    const { records, warnings } = await collectSource(preludeSource, { dataDir: dir, attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual(['ttps/discovery/1e68ef01-bdd1-4e51-b8b1-db02e935ecc3.yml', 'ttps/other/a.yml']);
    expect(warnings).toEqual([{ source: 'prelude', file: 'prelude/ttps/other/b.yml', reason: 'same TTP id same-id as ttps/other/a.yml but another technique: ttps/other/a.yml kept' }]);
  });
});

describe('prelude on the shared data', () => {
  const FIXED = ['T1021.004', 'T1059.001', 'T1003.001', 'T1053.005', 'T1485', 'T1082', 'T1005', 'T1562.001', 'T1560.001', 'T1074.001'];

  it('matches an independent count per technique and in total: one resource per TTP id', async () => {
    const a = realAttack();
    const exp = new Map<string, Set<string>>();
    const ttps = new Set<string>();
    let files = 0;
    let pairs = 0;
    const root = join(DATA_DIR, 'prelude', 'ttps');
    for (const tactic of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
      for (const f of readdirSync(join(root, tactic)).filter((x) => /\.ya?ml$/.test(x))) {
        const doc = parse(readFileSync(join(root, tactic, f), 'utf8')) as { id: string; technique: { id: string } };
        files++;
        // The same TTP upstream as `<id>.yml` and `<id>.yaml`: counted once.
        if (ttps.has(doc.id)) continue;
        ttps.add(doc.id);
        const ids = new Set(resolvedIds(a, doc.technique.id));
        pairs += ids.size;
        for (const id of ids) {
          if (!exp.has(id)) exp.set(id, new Set());
          exp.get(id)!.add(doc.id);
        }
      }
    }
    expect(files).toBeGreaterThan(ttps.size);
    const { records, warnings } = await collectSource(preludeSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(ttps.size);
    expect(new Set(records.map((r) => r.upstreamId)).size).toBe(records.length);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(pairs);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, exp.get(t)?.size ?? 0]);

    // The knowledge base agrees: as many Prelude resources as TTP ids, and T1082's page lists each TTP once.
    const kb = KnowledgeBase.open(inject('kbPath'));
    try {
      const n = kb.db.prepare("SELECT COUNT(*) FROM resources WHERE source = 'prelude'").pluck().get() as number;
      expect(n).toBe(ttps.size);
      const page = buildPage(kb, 'T1082')!;
      const prelude = page.sections.flatMap((s) => s.sources).filter((s) => s.source === 'prelude').flatMap((s) => s.items);
      expect(prelude.length).toBe(exp.get('T1082')!.size);
      expect(new Set(prelude.map((i) => i.id)).size).toBe(prelude.length);
    } finally {
      kb.close();
    }
  });
});
