/**
 * Every source has a robustness profile, and a kit connector's profile samples the files it
 * declares (Source.reads) in the format it declares: the sample is generated, not a hand list,
 * so a new kit source is damaged as soon as it has a profile naming its field paths.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import { ALL_PROFILES, declaredSample, originalBytes, profileFor } from './profiles.js';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { readPaths } from './trace.js';

const STRUCTURED = new Set(['yaml', 'yaml-documents', 'json', 'toml']);

describe('robustness profiles from the registry', () => {
  it('every source in ALL_SOURCES has a profile, and every profile a source', () => {
    expect(ALL_SOURCES.filter((s) => !profileFor(s.name)).map((s) => s.name), 'sources without a robustness profile (test/robustness/profiles.ts)').toEqual([]);
    expect(ALL_PROFILES.map((p) => p.source).filter((n) => !ALL_SOURCES.some((s) => s.name === n))).toEqual([]);
  });

  for (const source of ALL_SOURCES.filter((s) => s.reads)) {
    it(`${source.name}: samples the files and format its connector declares`, () => {
      const p = profileFor(source.name)!;
      const reads = source.reads!;
      expect(p.files.length).toBeGreaterThan(0);
      for (const f of p.files) {
        expect(f.path.startsWith(`${source.folder}/`), f.path).toBe(true);
        const path = f.path.slice(source.folder.length + 1);
        expect(reads.match ? reads.match(path, path.slice(path.lastIndexOf('/') + 1)) : reads.files!.includes(path), `${f.path} is not a file ${source.name} reads`).toBe(true);
        // A `text` source parses the text itself: its profile names the syntax (a Splunk .conf).
        if (reads.format === 'text') expect(['text', 'conf']).toContain(f.format);
        else expect(f.format).toBe(reads.format === 'yaml-documents' ? 'yaml' : reads.format);
      }
      // Written samples (sources absent from the shared data) and narrowed ones are explained by a note.
      if (!p.written && !p.note) expect(p.files).toEqual(declaredSample(source.name, p.files.length));
    });
  }

  for (const source of ALL_SOURCES.filter((s) => s.reads && STRUCTURED.has(s.reads.format))) {
    it(`${source.name}: the fields damaged are traced from its connector, in every sampled file`, () => {
      const p = profileFor(source.name)!;
      expect(p.fieldPathsBy).toBe('trace');
      for (const f of p.files) {
        const paths = p.fieldPaths!(undefined, f.path);
        expect(paths.length, f.path).toBeGreaterThan(0);
        // Every traced path leads to a mapping of the file as the damage parses it (yaml, smol-toml, JSON).
        const text = originalBytes(p, f.path).toString('utf8');
        const doc: unknown = f.format === 'yaml' ? parseYaml(text) : f.format === 'toml' ? parseToml(text) : JSON.parse(text);
        for (const path of paths) {
          const at = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], doc);
          expect(typeof at === 'object' && at !== null && !Array.isArray(at), `${f.path} ${JSON.stringify(path)}`).toBe(true);
        }
      }
    });
  }

  it('a source that declares no files gets no generated sample', () => {
    const loadOnly = ALL_SOURCES.find((s) => !s.reads)!;
    expect(() => declaredSample(loadOnly.name)).toThrow(`${loadOnly.name} declares no files`);
  });
});

describe('tracing what a connector reads (trace.ts)', () => {
  const doc = {
    id: 'x',
    tests: [{ name: 'no id here', run: { cmd: 'a' } }, { name: 'maps T1059.001', run: { cmd: 'b' } }, { name: 'T1003' }],
    steps: { '0': { note: 'plain' }, '1': { tags: ['T1105'] } },
    unread: { a: 1 },
  };

  it('notes the mappings read by name, in the order first read; unread ones are not damaged', () => {
    expect(readPaths(doc, (d) => void (d as typeof doc).id)).toEqual([[]]);
    expect(readPaths(doc, (d) => void (d as typeof doc).tests[0]!.run?.cmd)).toEqual([[], ['tests', 0], ['tests', 0, 'run']]);
  });

  it("one element stands for a list: the first read that holds an ATT&CK id, and what was noted under another is dropped", () => {
    const paths = readPaths(doc, (d) => {
      for (const t of (d as typeof doc).tests) void t.run?.cmd;
    });
    expect(paths).toEqual([[], ['tests', 1], ['tests', 1, 'run']]);
  });

  it('a mapping whose keys are listed before any is read by name is a dictionary: one value stands for it', () => {
    const paths = readPaths(doc, (d) => {
      for (const [, step] of Object.entries((d as typeof doc).steps)) void (step as { tags?: unknown }).tags;
    });
    expect(paths).toEqual([[], ['steps'], ['steps', '1']]);
  });

  it("Object.keys on a field mapping read by name before keeps every field", () => {
    const paths = readPaths({ rule: { a: 1, b: { c: 2 } } }, (d) => {
      const rule = (d as { rule: Record<string, unknown> }).rule;
      void rule.a;
      for (const k of Object.keys(rule)) void (rule[k] as { c?: unknown } | undefined)?.c;
    });
    expect(paths).toEqual([[], ['rule'], ['rule', 'b']]);
  });
});
