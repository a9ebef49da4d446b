/**
 * Every source has a robustness profile, and a kit connector's profile samples the files it
 * declares (Source.reads) in the format it declares: the sample is generated, not a hand list,
 * so a new kit source is damaged as soon as it has a profile naming its field paths.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import { ALL_PROFILES, declaredSample, profileFor } from './profiles.js';

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

  it('a source that declares no files gets no generated sample', () => {
    const loadOnly = ALL_SOURCES.find((s) => !s.reads)!;
    expect(() => declaredSample(loadOnly.name)).toThrow(`${loadOnly.name} declares no files`);
  });
});
