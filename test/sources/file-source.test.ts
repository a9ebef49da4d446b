/** The connector kit: walking, reading, parsing and warning one way; the technique cap and repeats in collect.ts. */
import { describe, expect, it } from 'vitest';
import { collectSource } from '../../src/sources/collect.js';
import { defineFileSource, ndjsonLines, readDocument, type KitInfo } from '../../src/sources/lib/file-source.js';
import { capList, capText, dateText, isRecord, oneOrMany, str, strList, trimmedList, typeName } from '../../src/sources/lib/values.js';
import { DEFAULT_LIMITS, type LoadContext, type ResourceRecord } from '../../src/sources/types.js';
import { fixtureDir, realAttack } from '../helpers.js';

const INFO: KitInfo = {
  name: 'kit', title: 'Kit', pillar: 'test', order: 1, homepage: 'https://example.org/', folder: 'kit',
  upstream: { repo: 'example/kit', defaultRef: 'main', paths: ['tests/*.yml'] },
  license: 'MIT', resourceKind: 'test', mapsVia: '`technique`',
};

function record(path: string, file: string, techniques: string[]): ResourceRecord {
  return { key: path, title: path, file, techniques: techniques.map((id) => ({ id })) };
}

const yamlSource = defineFileSource({
  ...INFO,
  match: (path) => path.startsWith('tests/') && path.endsWith('.yml'),
  format: 'yaml',
  shape: 'mapping',
  toRecords: (doc, { file, path, warn }) => {
    if (typeof doc.technique !== 'string') warn('no `technique` string');
    return [record(path, file, strList(doc.techniques).concat(typeof doc.technique === 'string' ? [doc.technique] : []))];
  },
});

function ctxFor(dataDir: string, warnings: string[]): Pick<LoadContext, 'dataDir' | 'limits' | 'warn'> {
  return { dataDir, limits: DEFAULT_LIMITS, warn: (file, reason) => warnings.push(`${file}: ${reason}`) };
}

describe('defineFileSource', () => {
  it('reads the matching files in sorted order and warns once per bad file, naming it, with the line', async () => {
    const dir = fixtureDir({
      'kit/tests/b.yml': 'technique: T1059\n',
      'kit/tests/a.yml': 'technique: T1003\n',
      'kit/tests/dup.yml': 'technique: T1003\ntechnique: T1059\n',
      'kit/tests/list.yml': '- technique: T1003\n',
      'kit/tests/notes.txt': 'not matched',
      'kit/other/c.yml': 'technique: T1003\n',
      'kit/tests/none.yml': 'name: x\n',
    });
    const { records, warnings } = await collectSource(yamlSource, { dataDir: dir, attack: realAttack() });
    expect(records.map((r) => r.key)).toEqual(['tests/a.yml', 'tests/b.yml', 'tests/none.yml']);
    expect(warnings.map((w) => [w.file, w.reason])).toEqual([
      ['kit/tests/dup.yml', 'YAML: duplicate key `technique` at line 2'],
      ['kit/tests/list.yml', 'not a YAML mapping'],
      ['kit/tests/none.yml', 'no `technique` string'],
    ]);
    expect(yamlSource.reads?.format).toBe('yaml');
  });

  it('named files: a missing one is a warning, not silence', async () => {
    const named = defineFileSource({ ...INFO, files: ['index.json'], format: 'json', shape: 'list', shapeName: 'tests', toRecords: () => [] });
    const missing = await collectSource(named, { dataDir: fixtureDir({ 'kit/x': '1' }), attack: realAttack() });
    expect(missing.warnings.map((w) => [w.file, w.reason.slice(0, 12)])).toEqual([['kit/index.json', 'cannot read:']]);
    const wrong = await collectSource(named, { dataDir: fixtureDir({ 'kit/index.json': '{}' }), attack: realAttack() });
    expect(wrong.warnings.map((w) => w.reason)).toEqual(['not a JSON array of tests']);
  });

  it('derives the homepage and folder from the upstream and name unless given, and links into the snapshot read', async () => {
    const { homepage: _h, folder: _f, ...bare } = INFO;
    const derived = defineFileSource({
      ...bare, match: () => true, format: 'json',
      // One record, or none: what a connector of one resource per file returns.
      toRecords: (doc, { origin, link }) => (doc === 0 ? undefined : { ...origin, title: link('docs/a b.md'), techniques: [] }),
    });
    expect([derived.homepage, derived.folder]).toEqual(['https://github.com/example/kit', 'kit']);
    expect([defineFileSource({ ...INFO, files: ['x'], format: 'json', toRecords: () => [] })].map((s) => [s.homepage, s.folder])).toEqual([['https://example.org/', 'kit']]);
    const dir = fixtureDir({ 'kit/sub/x.json': '1', 'kit/zero.json': '0' });
    const pinned = await collectSource(derived, { dataDir: dir, attack: realAttack(), provenance: { commit: 'abc123', accessedFrom: 'manifest' } });
    expect(pinned.records).toEqual([{
      key: 'sub/x.json', url: 'https://github.com/example/kit/blob/abc123/sub/x.json', file: 'kit/sub/x.json',
      title: 'https://github.com/example/kit/blob/abc123/docs/a%20b.md', techniques: [],
    }]);
    const unpinned = await collectSource(derived, { dataDir: dir, attack: realAttack() });
    expect(unpinned.records[0]!.url).toBe('https://github.com/example/kit/blob/main/sub/x.json');
  });
});

describe('readDocument and ndjsonLines', () => {
  it('say the format once, then what the parser says, located', () => {
    const dir = fixtureDir({ 'a.toml': 'x = 1\nx = 2\n', 'b.json': '{"a": }', 'c.yml': 'a: [1\n', 'd.ndjson': '{"a": 1}\n\n{bad\n{"b": 2}\n' });
    const warnings: string[] = [];
    const ctx = ctxFor(dir, warnings);
    expect(readDocument(ctx, 'a.toml', 'toml')).toBeUndefined();
    expect(readDocument(ctx, 'b.json', 'json')).toBeUndefined();
    expect(readDocument(ctx, 'c.yml', 'yaml')).toBeUndefined();
    expect(warnings[0]).toMatch(/^a\.toml: TOML: .* at line 2$/);
    expect(warnings[1]).toMatch(/^b\.json: JSON: /);
    expect(warnings[2]).toMatch(/^c\.yml: YAML: .* at line \d+$/);
    expect(warnings.join('\n')).not.toMatch(/YAML: YAML|JSON: JSON|TOML: TOML/);
    warnings.length = 0;
    const lines = [...ndjsonLines(ctx, 'd.ndjson', '{"a": 1}\n\n{bad\n{"b": 2}\n')];
    expect(lines.map((l) => l.line)).toEqual([1, 4]);
    expect(warnings).toEqual([expect.stringMatching(/^d\.ndjson: line 3: JSON: /)]);
  });
});

describe('collect.ts: technique repeats and the cap, once for every connector', () => {
  const many = defineFileSource({
    ...INFO,
    match: () => true,
    format: 'json',
    shape: 'list',
    toRecords: (doc, { file, path }) => [record(path, file, strList(doc))],
  });

  it('drops a repeated reference (case aside) and cuts at maxTechniquesPerResource with one warning', async () => {
    const ids = ['T1003', 't1003', 'T1059', 'T1003 ', 'T1021', 'T1105', 'T1082'];
    const dir = fixtureDir({ 'kit/x.json': JSON.stringify(ids) });
    const all = await collectSource(many, { dataDir: dir, attack: realAttack() });
    expect(all.records[0]!.techniques.map((t) => t.id)).toEqual(['T1003', 'T1059', 'T1021', 'T1105', 'T1082']);
    expect(all.warnings).toEqual([]);
    const capped = await collectSource(many, { dataDir: dir, attack: realAttack(), limits: { maxTechniquesPerResource: 3 } });
    expect(capped.records[0]!.techniques.map((t) => t.id)).toEqual(['T1003', 'T1059', 'T1021']);
    expect(capped.warnings).toEqual([{ source: 'kit', file: 'kit/x.json', reason: '5 technique references, over the limit of 3: the first 3 kept' }]);
  });

  it('keeps references that differ by relation, note or ATT&CK version', async () => {
    const src = defineFileSource({
      ...INFO, match: () => true, format: 'json',
      toRecords: (_doc, { file, path }) => [{ key: path, title: path, file, techniques: [
        { id: 'T1003' }, { id: 'T1003', relation: 'detects' }, { id: 'T1003', note: 'a' }, { id: 'T1003', attackVersion: '16.1' }, { id: 'T1003', note: 'a' },
      ] }],
    });
    const { records } = await collectSource(src, { dataDir: fixtureDir({ 'kit/x.json': '{}' }), attack: realAttack() });
    expect(records[0]!.techniques).toHaveLength(4);
  });
});

describe('value helpers', () => {
  it('read untrusted values without throwing', () => {
    expect([isRecord({}), isRecord([]), isRecord(null)]).toEqual([true, false, false]);
    expect([null, [], new Date(0), {}, 's', 1].map(typeName)).toEqual(['null', 'list', 'date', 'mapping', 'string', 'number']);
    expect([str('  a '), str('  '), str(3)]).toEqual(['a', undefined, undefined]);
    expect(strList(['a', 1, ' b'])).toEqual(['a', ' b']);
    expect(trimmedList(['a', 1, ' b', '  '])).toEqual(['a', 'b']);
    expect([oneOrMany('x'), oneOrMany(['x', 2]), oneOrMany(5)]).toEqual([['x'], ['x'], []]);
    expect(capText('abcdef', 4)).toBe('abc…');
    expect(capList(['a', 'b', 'c'], 2)).toEqual(['a', 'b', '… 1 more']);
    expect([dateText(new Date('2023-01-11T00:00:00Z')), dateText(' 2023/01/11 '), dateText(1)]).toEqual(['2023-01-11', '2023/01/11', undefined]);
  });
});
