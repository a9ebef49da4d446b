import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { eqllibDate, eqllibDocsUrl, eqllibList, eqllibSource } from '../../src/sources/eqllib.js';
import { collectSource } from '../../src/sources/collect.js';
import { walkFiles } from '../../src/sources/lib/files.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

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

const REAL = 'eqllib/eqllib/analytics/credential-access/T1003-credential-dumping-via-credential-vault-dll.toml';
const REAL_ACTOR = 'eqllib/eqllib/analytics/actors/GAMAREDON GROUP/G0047-persistence-startup-folder-execution.toml';

const analytic = (name: string, metadata: string[] = ['techniques = ["T1021.004"]']) => [
  '[analytic.metadata]',
  'categories = ["detect"]',
  'confidence = "low"',
  'contributors = ["Someone"]',
  'created_date = "7/4/2020"',
  'description = "Something."',
  'id = "00000000-0000-0000-0000-000000000001"',
  `name = "${name}"`,
  'os = ["linux"]',
  'tactics = ["Lateral Movement"]',
  'updated_date = "12/31/2021"',
  ...metadata,
  '',
  '[analytic]',
  "query = '''process where true'''",
].join('\n');

describe('eqllib fixtures', () => {
  it('loads good analytics and reports every malformed file by name without throwing', async () => {
    const dir = fixtureDir({
      [REAL]: readFileSync(join(DATA_DIR, REAL)),
      [REAL_ACTOR]: readFileSync(join(DATA_DIR, REAL_ACTOR)),
      'eqllib/eqllib/analytics/lateral-movement/ssh.toml': analytic('SSH', ['techniques = ["T1021.004", "t1021.004", "T1021"]', 'tags = ["mine"]']),
      'eqllib/eqllib/analytics/bad/syntax.toml': '[analytic.metadata]\nname = "x"\nname = ',
      'eqllib/eqllib/analytics/bad/techniques_string.toml': analytic('Techniques string', ['techniques = "T1059"']),
      'eqllib/eqllib/analytics/bad/techniques_mixed.toml': analytic('Techniques mixed', ['techniques = ["T1105", 5, {a = 1}]']),
      'eqllib/eqllib/analytics/bad/wrong_types.toml': analytic('Wrong types', ['techniques = []', 'os = "linux"']).replace('id = "00000000-0000-0000-0000-000000000001"', 'id = 7').replace('os = ["linux"]\n', ''),
      'eqllib/eqllib/analytics/bad/ten_thousand.toml': analytic('Ten thousand', [`techniques = [${Array.from({ length: 10_000 }, (_, i) => `"T${String(i).padStart(4, '0')}"`).join(', ')}]`]),
      'eqllib/eqllib/analytics/bad/no_analytic.toml': '[metadata]\nname = "x"\n',
      'eqllib/eqllib/analytics/bad/no_metadata.toml': '[analytic]\nquery = "x"\n',
      'eqllib/eqllib/analytics/bad/no_name.toml': '[analytic.metadata]\nid = "x"\n',
      'eqllib/eqllib/analytics/bad/empty.toml': '',
      'eqllib/eqllib/analytics/bad/not_utf8.toml': Buffer.concat([Buffer.from('[analytic.metadata]\nname = "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]),
      'eqllib/eqllib/analytics/bad/deep.toml': `[analytic.metadata]\nname = "deep"\nx = ${'['.repeat(100)}${']'.repeat(100)}\n`,
      // Not analytic files.
      'eqllib/eqllib/analytics/readme.md': '# notes',
      'eqllib/eqllib/domains/x.toml': analytic('Domain schema, not an analytic'),
    });
    const { records, warnings } = await collectSource(eqllibSource, { dataDir: dir, attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual([
      'eqllib/analytics/actors/GAMAREDON GROUP/G0047-persistence-startup-folder-execution.toml',
      'eqllib/analytics/bad/techniques_mixed.toml',
      'eqllib/analytics/bad/techniques_string.toml',
      'eqllib/analytics/bad/ten_thousand.toml',
      'eqllib/analytics/bad/wrong_types.toml',
      'eqllib/analytics/credential-access/T1003-credential-dumping-via-credential-vault-dll.toml',
      'eqllib/analytics/lateral-movement/ssh.toml',
    ]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    const warned = (file: string) => warnings.filter((w) => w.file === `eqllib/eqllib/analytics/${file}`).map((w) => w.reason);

    expect(byKey.get('eqllib/analytics/credential-access/T1003-credential-dumping-via-credential-vault-dll.toml')).toEqual({
      key: 'eqllib/analytics/credential-access/T1003-credential-dumping-via-credential-vault-dll.toml',
      upstreamId: '679560ee-0ea0-4358-bf83-e4c478d9d1c8',
      title: 'Suspicious Process Loading Credential Vault DLL',
      url: 'https://github.com/endgameinc/eqllib/blob/master/eqllib/analytics/credential-access/T1003-credential-dumping-via-credential-vault-dll.toml',
      breadcrumb: ['credential-access'],
      description: "Identifies an unexpected process loading the Windows Credential Vault DLL in preparation of enumerating/stealing a user's saved credentials.",
      deprecated: false,
      file: REAL,
      meta: {
        id: '679560ee-0ea0-4358-bf83-e4c478d9d1c8', categories: ['detect'], confidence: 'high', platforms: ['windows'], tactics: ['Credential Access'],
        language: 'EQL', author: 'David French', date: '2019-08-16', modified: '2019-08-16',
        docsUrl: 'https://eqllib.readthedocs.io/en/latest/analytics/679560ee-0ea0-4358-bf83-e4c478d9d1c8.html',
      },
      facets: { platforms: ['windows'], logSources: [{ scheme: 'eql', product: 'windows', name: 'image_load' }] },
      logic: { language: 'eql', text: ((parseToml(readFileSync(join(DATA_DIR, REAL), 'utf8')).analytic as { query: string }).query).trimEnd() },
      techniques: [{ id: 'T1003' }],
    });
    const actor = byKey.get('eqllib/analytics/actors/GAMAREDON GROUP/G0047-persistence-startup-folder-execution.toml')!;
    expect(actor.breadcrumb).toEqual(['actors', 'GAMAREDON GROUP']);
    expect(actor.url).toBe('https://github.com/endgameinc/eqllib/blob/master/eqllib/analytics/actors/GAMAREDON%20GROUP/G0047-persistence-startup-folder-execution.toml');
    expect(actor.techniques.length).toBeGreaterThan(0);

    const ssh = byKey.get('eqllib/analytics/lateral-movement/ssh.toml')!;
    expect(ssh.techniques).toEqual([{ id: 'T1021.004' }, { id: 'T1021' }]);
    expect(ssh.meta).toMatchObject({ date: '2020-07-04', modified: '2021-12-31', platforms: ['linux'], tags: ['mine'] });
    expect(warned('lateral-movement/ssh.toml')).toEqual([]);

    expect(byKey.get('eqllib/analytics/bad/techniques_string.toml')!.techniques).toEqual([]);
    expect(warned('bad/techniques_string.toml')).toEqual(['`analytic.metadata.techniques` is a string, not an array: ignored']);
    expect(byKey.get('eqllib/analytics/bad/techniques_mixed.toml')!.techniques).toEqual([{ id: 'T1105' }]);
    expect(warned('bad/techniques_mixed.toml')).toEqual(['`analytic.metadata.techniques` holds entries that are not strings: they are ignored']);
    const wrong = byKey.get('eqllib/analytics/bad/wrong_types.toml')!;
    expect([wrong.upstreamId, wrong.meta!.id, wrong.meta!.platforms, wrong.meta!.docsUrl]).toEqual([undefined, undefined, undefined, undefined]);
    expect(warned('bad/wrong_types.toml')).toEqual(['`analytic.metadata.id` is a number, not a string: ignored', '`analytic.metadata.os` is a string, not an array: ignored']);
    expect(byKey.get('eqllib/analytics/bad/ten_thousand.toml')!.techniques).toHaveLength(1000);
    expect(warned('bad/ten_thousand.toml')).toEqual(['10000 technique references, over the limit of 1000: the first 1000 kept']);

    expect(warned('bad/syntax.toml')).toEqual([expect.stringMatching(/^TOML: /)]);
    expect(warned('bad/no_analytic.toml')).toEqual(['not an analytic: no `[analytic]` table']);
    expect(warned('bad/no_metadata.toml')).toEqual(['not an analytic: no `[analytic.metadata]` table']);
    expect(warned('bad/no_name.toml')).toEqual(['not an analytic: `[analytic.metadata]` has no `name`']);
    expect(warned('bad/empty.toml')).toEqual(['empty file']);
    expect(warned('bad/not_utf8.toml')).toEqual(['not valid UTF-8']);
    expect(warned('bad/deep.toml')).toEqual(['TOML: nested deeper than 64 levels']);
    expect([...new Set(warnings.map((w) => w.file))].sort()).toEqual(
      ['deep', 'empty', 'no_analytic', 'no_metadata', 'no_name', 'not_utf8', 'syntax', 'techniques_mixed', 'techniques_string', 'ten_thousand', 'wrong_types']
        .map((n) => `eqllib/eqllib/analytics/bad/${n}.toml`),
    );
  });

  it('helpers', () => {
    expect([eqllibDate('11/30/2018'), eqllibDate('8/1/2019'), eqllibDate('2019-01-02'), eqllibDate(new Date('2020-05-06T00:00:00Z')), eqllibDate(3)])
      .toEqual(['2018-11-30', '2019-08-01', '2019-01-02', '2020-05-06', undefined]);
    expect(eqllibDocsUrl('abc-1')).toBe('https://eqllib.readthedocs.io/en/latest/analytics/abc-1.html');
    expect(eqllibDocsUrl('../x')).toBeUndefined();
    const problems: string[] = [];
    expect(eqllibList(undefined, 'f', (p) => problems.push(p))).toEqual([]);
    expect(eqllibList(['a', ' '], 'f', (p) => problems.push(p))).toEqual(['a']);
    expect(problems).toEqual([]);
  });
});

describe('eqllib on the shared data', () => {
  // eqllib predates sub-techniques: T1059.001, T1021.004 and T1003.001 are expected at 0, and its
  // old ids (T1088, T1060, …) reach today's techniques through revocations.
  const FIXED = ['T1059.001', 'T1021.004', 'T1003.001', 'T1003', 'T1548.002', 'T1547.001', 'T1053', 'T1082', 'T1070', 'T1490', 'T1055', 'T1543.003'];
  type Any = Record<string, unknown>;

  /** Independent reading with smol-toml and a traversal of its own. */
  function independent(a: AttackIndex) {
    const root = join(DATA_DIR, 'eqllib');
    const files = walkFiles(root, (name, rel) => rel.startsWith('eqllib/analytics/') && name.endsWith('.toml'));
    const exp = new Map<string, number>();
    let pairs = 0;
    let revokedRefs = 0;
    for (const f of files) {
      const doc = parseToml(readFileSync(join(root, f), 'utf8')) as Any;
      const raw = ((doc.analytic as Any).metadata as Any).techniques as string[];
      const ids = new Set<string>();
      for (const id of raw) {
        if (resolveTechniqueId(a, id).kind === 'revoked') revokedRefs++;
        for (const x of resolvedIds(a, id)) ids.add(x);
      }
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    return { exp, files: files.length, pairs, revokedRefs };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const ind = independent(a);
    const { records, warnings } = await collectSource(eqllibSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(ind.files);
    expect(records.filter((r) => r.deprecated)).toHaveLength(0);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(ind.pairs);
    expect(got.size).toBe(ind.exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, ind.exp.get(t) ?? 0]);
    // Computed once by a separate script (Python tomllib and its own ATT&CK revocation walk) over the raw files.
    expect([ind.files, ind.pairs, ind.exp.size, ind.revokedRefs]).toEqual([129, 138, 89, 70]);
    expect(FIXED.map((t) => ind.exp.get(t) ?? 0)).toEqual([0, 0, 0, 6, 6, 4, 5, 3, 3, 3, 2, 2]);
    expect(records.every((r) => r.meta?.language === 'EQL' && /^\d{4}-\d{2}-\d{2}$/.test(String(r.meta?.date)) && typeof r.meta?.docsUrl === 'string')).toBe(true);
  });
});
