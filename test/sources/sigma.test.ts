import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sigmaBreadcrumb, sigmaCollection, sigmaSource, sigmaTags } from '../../src/sources/sigma.js';
import { collectSource } from '../../src/sources/collect.js';
import { walkFiles } from '../../src/sources/lib/files.js';
import { resolveTechniqueId } from '../../src/resolve.js';
import type { AttackIndex } from '../../src/attack/types.js';
import type { ResourceRecord } from '../../src/sources/types.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, fixtureDir, realAttack } from '../helpers.js';

/** An id the loaded ATT&CK does not know yet (a rule set ahead of the knowledge base). */
const NEWER = rawAttack().nextTechniqueId;

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

const REAL = 'sigma/rules/windows/powershell/powershell_script/posh_ps_xml_iex.yml';

const rule = (title: string, extra: string[] = []) => [
  `title: ${title}`,
  'id: 11111111-2222-3333-4444-555555555555',
  'status: test',
  'logsource:',
  '    product: windows',
  '    category: process_creation',
  'detection:',
  '    sel:',
  '        Image|endswith: x.exe',
  '    condition: sel',
  'level: high',
  ...extra,
].join('\n');

const COLLECTION = [
  'action: global',
  'title: Suspicious Thing',
  'status: experimental',
  'author: Someone',
  'date: 2020-01-02',
  'tags:',
  '    - attack.execution',
  '    - attack.t1059.001',
  'detection:',
  '    condition: selection',
  'level: medium',
  '---',
  'logsource:',
  '    product: windows',
  '    category: process_creation',
  'detection:',
  '    selection:',
  '        Image|endswith: \\powershell.exe',
  '---',
  'logsource:',
  '    product: windows',
  '    service: sysmon',
  'level: high',
  'detection:',
  '    selection:',
  '        EventID: 1',
  '---',
  'action: repeat',
  'title: Suspicious Thing (repeat)',
  'detection:',
  '    selection:',
  '        EventID: 4688',
  '---',
  'action: reset',
  '---',
  'foo: not a rule',
  '---',
  'action: explode',
  '---',
  '- just',
  '- a list',
].join('\n');

describe('sigma fixtures', () => {
  it('loads good rules and reports every malformed file by name without throwing', async () => {
    const tenThousand = rule('Many tags', ['tags:', ...Array.from({ length: 10_000 }, (_, i) => `    - attack.t${String(i).padStart(4, '0')}`)]);
    const dir = fixtureDir({
      [REAL]: readFileSync(join(DATA_DIR, REAL)),
      'sigma/rules-emerging-threats/2023/Malware/Foo/mal_foo.yml': rule('Foo malware', ['tags:', `    - attack.${NEWER}`, '    - attack.t1218.011', '    - attack.T1218.011', '    - attack.g0001', '    - attack.s0002', '    - attack.defense-impairment']),
      'sigma/rules-threat-hunting/windows/hunt.yml': rule('Hunt', ['tags:', '    - attack.t1021.004', '    - 42', '    - cve.2021-1234']),
      'sigma/rules/windows/dup_id.yml': rule('Same id, another file'),
      'sigma/rules/windows/deprecated_rule.yml': rule('Old', ['tags:', '    - attack.t1003.001']).replace('status: test', 'status: deprecated'),
      'sigma/rules/linux/collection.yml': COLLECTION,
      'sigma/rules/bad/bad_yaml.yml': 'title: [unclosed\ndetection: {',
      'sigma/rules/bad/tags_not_list.yml': rule('Tags string', ['tags: attack.t1059']),
      'sigma/rules/bad/wrong_types.yml': rule('Wrong types', ['tags:', '    - attack.t1105']).replace('level: high', 'level: [high]').replace(/logsource:\n(?: {4}.*\n)+/, 'logsource: windows\n'),
      'sigma/rules/bad/ten_thousand.yml': tenThousand,
      'sigma/rules/bad/not_utf8.yml': Buffer.concat([Buffer.from('title: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      'sigma/rules/bad/empty.yml': '',
      'sigma/rules/bad/comments_only.yml': '# nothing here\n',
      'sigma/rules/bad/no_detection.yml': 'title: Only a title\nstatus: test\n',
      'sigma/rules/bad/deep.yml': `title: Deep\ndetection: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      'sigma/rules/bad/dup_key.yml': 'title: a\ntitle: b\ndetection: {condition: x}\n',
      // Not rule files: other extensions, other top folders.
      'sigma/rules/windows/readme.md': '# readme',
      'sigma/rules/windows/other.yaml': rule('yaml extension'),
      'sigma/deprecated/windows/old.yml': rule('Outside rules*'),
      'sigma/tests/x.yml': rule('Outside rules*'),
    });
    const { records, warnings } = await collectSource(sigmaSource, { dataDir: dir, attack: realAttack() });

    expect(records.map((r) => r.key)).toEqual([
      'rules-emerging-threats/2023/Malware/Foo/mal_foo.yml',
      'rules-threat-hunting/windows/hunt.yml',
      'rules/bad/tags_not_list.yml',
      'rules/bad/ten_thousand.yml',
      'rules/bad/wrong_types.yml',
      'rules/linux/collection.yml#1',
      'rules/linux/collection.yml#2',
      'rules/linux/collection.yml#3',
      'rules/windows/deprecated_rule.yml',
      'rules/windows/dup_id.yml',
      'rules/windows/powershell/powershell_script/posh_ps_xml_iex.yml',
    ]);
    const byKey = new Map(records.map((r) => [r.key, r]));
    const warned = (file: string) => warnings.filter((w) => w.file === `sigma/${file}`).map((w) => w.reason);

    expect(byKey.get('rules/windows/powershell/powershell_script/posh_ps_xml_iex.yml')).toEqual({
      key: 'rules/windows/powershell/powershell_script/posh_ps_xml_iex.yml',
      upstreamId: '6c6c6282-7671-4fe9-a0ce-a2dcebdc342b',
      title: 'Powershell XML Execute Command',
      url: 'https://github.com/SigmaHQ/sigma/blob/master/rules/windows/powershell/powershell_script/posh_ps_xml_iex.yml',
      breadcrumb: ['windows', 'powershell', 'powershell_script'],
      description: expect.stringMatching(/^Adversaries may abuse PowerShell commands and scripts for execution\. PowerShell is/),
      deprecated: false,
      file: REAL,
      meta: {
        language: 'Sigma', id: '6c6c6282-7671-4fe9-a0ce-a2dcebdc342b', status: 'test', level: 'medium',
        logsource: { product: 'windows', category: 'ps_script' }, tactics: ['execution'],
        author: 'frack113', date: '2022-01-19', modified: '2023-01-19',
      },
      facets: { logSources: [{ scheme: 'sigma', product: 'windows', category: 'ps_script' }] },
      // The detection block as written: from `detection:` up to the next top-level key.
      logic: { language: 'sigma', text: /^detection:\n(?:[ \t].*\n|\n)*/m.exec(readFileSync(join(DATA_DIR, REAL), 'utf8'))![0].trimEnd() },
      techniques: [{ id: 't1059.001' }],
    });

    const foo = byKey.get('rules-emerging-threats/2023/Malware/Foo/mal_foo.yml')!;
    expect(foo.breadcrumb).toEqual(['emerging-threats', '2023', 'Malware', 'Foo']);
    // Same technique twice in two spellings is one reference; groups and software are not techniques.
    expect(foo.techniques).toEqual([{ id: NEWER }, { id: 't1218.011' }]);
    expect(foo.meta!.tactics).toEqual(['defense-impairment']);
    expect(resolveTechniqueId(realAttack(), foo.techniques[0]!.id).kind).toBe('unknown');

    const hunt = byKey.get('rules-threat-hunting/windows/hunt.yml')!;
    expect(hunt.breadcrumb).toEqual(['threat-hunting', 'windows']);
    expect(hunt.techniques).toEqual([{ id: 't1021.004' }]);
    expect(warned('rules-threat-hunting/windows/hunt.yml')).toEqual(['1 tag(s) are not strings: ignored']);

    // Two files sharing an upstream id stay two rules.
    expect(byKey.get('rules/windows/dup_id.yml')!.upstreamId).toBe(byKey.get('rules/bad/tags_not_list.yml')!.upstreamId);

    const old = byKey.get('rules/windows/deprecated_rule.yml')!;
    expect([old.deprecated, old.meta!.status, old.techniques]).toEqual([true, 'deprecated', [{ id: 't1003.001' }]]);
    expect(records.filter((r) => r.deprecated).map((r) => r.key)).toEqual(['rules/windows/deprecated_rule.yml']);

    // Rule collection: the global document merges into each rule, `repeat` lays over the previous rule.
    const [c1, c2, c3] = ['#1', '#2', '#3'].map((n) => byKey.get(`rules/linux/collection.yml${n}`)!);
    expect(c1).toMatchObject({
      title: 'Suspicious Thing', breadcrumb: ['linux'], techniques: [{ id: 't1059.001' }],
      url: 'https://github.com/SigmaHQ/sigma/blob/master/rules/linux/collection.yml',
      meta: { status: 'experimental', level: 'medium', author: 'Someone', date: '2020-01-02', logsource: { product: 'windows', category: 'process_creation' } },
    });
    expect(c2).toMatchObject({ title: 'Suspicious Thing', techniques: [{ id: 't1059.001' }], meta: { level: 'high', logsource: { product: 'windows', service: 'sysmon' } } });
    expect(c3).toMatchObject({ title: 'Suspicious Thing (repeat)', techniques: [{ id: 't1059.001' }], meta: { level: 'high', logsource: { product: 'windows', service: 'sysmon' } } });
    expect(warned('rules/linux/collection.yml')).toEqual([
      'document 7 unknown collection action "explode"',
      'document 8 is a list, not a mapping',
      'document 6 is not a rule: it has no `title`',
    ]);

    const tags = byKey.get('rules/bad/tags_not_list.yml')!;
    expect(tags.techniques).toEqual([]);
    expect(warned('rules/bad/tags_not_list.yml')).toEqual(['`tags` is a string, not a list: no techniques read']);

    const wrong = byKey.get('rules/bad/wrong_types.yml')!;
    expect(wrong.techniques).toEqual([{ id: 't1105' }]);
    expect(wrong.meta!.level).toBeUndefined();
    expect(wrong.meta!.logsource).toBeUndefined();
    expect(warned('rules/bad/wrong_types.yml')).toEqual([
      '`level` is a list, not a string: ignored',
      '`logsource` is a string, not a mapping: ignored',
    ]);

    const many = byKey.get('rules/bad/ten_thousand.yml')!;
    expect(many.techniques).toHaveLength(1000);
    expect(many.techniques[999]).toEqual({ id: 't0999' });
    expect(warned('rules/bad/ten_thousand.yml')).toEqual(['10000 technique references, over the limit of 1000: the first 1000 kept']);

    expect(warned('rules/bad/bad_yaml.yml')).toHaveLength(1);
    expect(warned('rules/bad/bad_yaml.yml')[0]).toMatch(/^YAML: /);
    expect(warned('rules/bad/not_utf8.yml')).toEqual(['not valid UTF-8']);
    expect(warned('rules/bad/empty.yml')).toEqual(['empty file']);
    expect(warned('rules/bad/comments_only.yml')).toEqual(['no YAML document']);
    expect(warned('rules/bad/no_detection.yml')).toEqual(['the document is not a rule: it has no `detection` mapping']);
    expect(warned('rules/bad/deep.yml')).toEqual(['YAML: nested deeper than 64 levels']);
    expect(warned('rules/bad/dup_key.yml')).toHaveLength(1);
    expect(warned('rules/bad/dup_key.yml')[0]).toMatch(/^YAML: duplicate key `[^`]+` at line \d+$/);
    // Nothing else warned: the files outside `rules*/**/*.yml` were not read.
    expect([...new Set(warnings.map((w) => w.file.slice('sigma/'.length)))].sort()).toEqual([
      'rules-threat-hunting/windows/hunt.yml',
      ...['bad_yaml', 'comments_only', 'deep', 'dup_key', 'empty', 'no_detection', 'not_utf8', 'tags_not_list', 'ten_thousand', 'wrong_types'].map((n) => `rules/bad/${n}.yml`),
      'rules/linux/collection.yml',
    ]);
  });

  it('uses the provenance commit in links', async () => {
    const dir = fixtureDir({ 'sigma/rules/cloud/aws/a b.yml': rule('Spaces') });
    const { records } = await collectSource(sigmaSource, { dataDir: dir, attack: realAttack(), provenance: { accessedFrom: 'manifest', commit: 'abc123' } });
    expect(records[0]!.url).toBe('https://github.com/SigmaHQ/sigma/blob/abc123/rules/cloud/aws/a%20b.yml');
  });

  it('helpers', () => {
    expect(sigmaBreadcrumb('rules/windows/process_creation/proc_creation_x.yml')).toEqual(['windows', 'process_creation']);
    expect(sigmaBreadcrumb('rules-dfir/windows/x.yml')).toEqual(['dfir', 'windows']);
    expect(sigmaBreadcrumb('rules/x.yml')).toEqual([]);
    expect(sigmaTags(['attack.T1059.001', ' attack.t1059.001 ', 'attack.t1059', 'attack.t10590', 'attack.lateral_movement', 'attack.s0001', 7]))
      .toEqual({ techniques: ['T1059.001', 't1059'], tactics: ['lateral-movement'], nonStrings: 1 });
    const problems: string[] = [];
    const rules = sigmaCollection([{ action: 'repeat', title: 'x' }, { action: 'global', a: { b: 1, c: 2 } }, { title: 't', a: { c: 3 } }], (n, p) => problems.push(`${n}: ${p}`));
    expect(rules).toEqual([{ docNumber: 3, doc: { title: 't', a: { b: 1, c: 3 } } }]);
    expect(problems).toEqual(['1: `action: repeat` with no rule before it']);
  });
});

describe('sigma on the shared data', () => {
  const FIXED = ['T1059.001', 'T1021.004', 'T1003.001', 'T1566.001', 'T1078', 'T1055', 'T1547.001', 'T1218.011', 'T1105', 'T1027', 'T1685', 'T1686.003'];
  /** A technique tag line of a YAML list, comments after it allowed (commented-out tags are not). */
  const TAG_LINE = /^\s*-\s*attack\.(t\d{4}(?:\.\d{3})?)\s*(?:#.*)?$/gim;

  /** Independent reading: every `rules*` .yml file is one rule; technique tags by regex over the raw text. */
  function independent() {
    const raw = rawAttack();
    const files = walkFiles(join(DATA_DIR, 'sigma'), (name, rel) => /^rules[^/]*\//.test(rel) && name.endsWith('.yml'));
    const exp = new Map<string, number>();
    const unknown = new Map<string, number>();
    let pairs = 0;
    let deprecated = 0;
    let collections = 0;
    for (const f of files) {
      const text = readFileSync(join(DATA_DIR, 'sigma', f), 'utf8');
      if (/^(?:---|action:)/m.test(text)) collections++;
      if (/^status:\s*deprecated\s*$/m.test(text)) deprecated++;
      const ids = new Set<string>();
      const unknownHere = new Set<string>();
      for (const m of text.matchAll(TAG_LINE)) {
        const id = m[1]!.toUpperCase();
        if (!raw.techniques.has(id)) unknownHere.add(id);
        for (const x of raw.resolve(id)) ids.add(x);
      }
      for (const id of unknownHere) unknown.set(id, (unknown.get(id) ?? 0) + 1);
      pairs += ids.size;
      for (const id of ids) exp.set(id, (exp.get(id) ?? 0) + 1);
    }
    return { exp, files: files.length, pairs, deprecated, collections, unknown };
  }

  it('matches an independent count per technique and in total', async () => {
    const a = realAttack();
    const ind = independent();
    // MANIFEST.json: 3781 files, LICENSE among them; no rule collections, no deprecated rules in this snapshot.
    expect([ind.files, ind.collections, ind.deprecated]).toEqual([3780, 0, 0]);
    const { records, warnings } = await collectSource(sigmaSource, { dataDir: DATA_DIR, attack: a });
    expect(warnings).toEqual([]);
    expect(records.length).toBe(ind.files);
    expect(new Set(records.map((r) => r.key)).size).toBe(records.length);
    expect(records.filter((r) => r.deprecated)).toHaveLength(ind.deprecated);
    const got = byTechnique(a, records);
    expect([...got.values()].reduce((n, s) => n + s.size, 0)).toBe(ind.pairs);
    expect(got.size).toBe(ind.exp.size);
    for (const t of FIXED) expect([t, got.get(t)?.size ?? 0]).toEqual([t, ind.exp.get(t) ?? 0]);
    // Ids the loaded ATT&CK does not know (a rule set ahead of it): the same ones, as often, both ways.
    const unknownGot = new Map<string, number>();
    for (const r of records) {
      const ids = new Set(r.techniques.map((t) => resolveTechniqueId(a, t.id)).filter((x) => x.kind === 'unknown').map((x) => x.kind === 'unknown' ? x.id : ''));
      for (const id of ids) unknownGot.set(id, (unknownGot.get(id) ?? 0) + 1);
    }
    expect(Object.fromEntries([...unknownGot].sort())).toEqual(Object.fromEntries([...ind.unknown].sort()));
    const sample = records.find((r) => r.key === 'rules/windows/process_creation/proc_creation_win_powershell_base64_encoded_cmd.yml');
    expect(sample?.breadcrumb).toEqual(['windows', 'process_creation']);
    expect(records.every((r) => r.meta?.language === 'Sigma' && typeof r.meta.level === 'string')).toBe(true);
  });
});
