import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { commitFromArchivePrefix, extractArchive, safeSegments, type ExtractLimits } from '../../src/sync/archive.js';
import { globMatcher } from '../../src/sync/glob.js';
import { TarParser, type TarEntry } from '../../src/sync/tar.js';
import { tempDir } from '../helpers.js';
import { githubArchive, tar } from './fixtures.js';

const LIMITS: ExtractLimits = { maxFiles: 1000, maxBytes: 10_000_000, maxArchiveBytes: 100_000_000, maxEntries: 10_000 };
const COMMIT = 'a'.repeat(40);

describe('globMatcher', () => {
  it('matches the path globs sources use', () => {
    const m = globMatcher(['rules/**/*.yml', 'atomics/T*/T*.yaml', '**/*_scythe_threat.json', 'docs/{index,other}.yaml', 'LICEN[CS]E']);
    expect(m('rules/a.yml')).toBe(true);
    expect(m('rules/windows/process_creation/x.yml')).toBe(true);
    expect(m('rules/windows/x.yaml')).toBe(false);
    expect(m('rules-dfir/x.yml')).toBe(false);
    expect(m('atomics/T1059.001/T1059.001.yaml')).toBe(true);
    expect(m('atomics/T1059.001/src/T1.yaml')).toBe(false);
    expect(m('atomics/Indexes/T.yaml')).toBe(false);
    expect(m('a_scythe_threat.json')).toBe(true);
    expect(m('CompoundActions/T1003 - OS/x_scythe_threat.json')).toBe(true);
    expect(m('docs/index.yaml')).toBe(true);
    expect(m('docs/other.yaml')).toBe(true);
    expect(m('docs/third.yaml')).toBe(false);
    expect(m('LICENSE')).toBe(true);
    expect(m('LICENCE')).toBe(true);
    expect(m('sub/LICENSE')).toBe(false);
    expect(globMatcher([])('x')).toBe(false);
  });

  it('treats regex characters literally', () => {
    const m = globMatcher(['a+b/(c).json']);
    expect(m('a+b/(c).json')).toBe(true);
    expect(m('aab/c.json')).toBe(false);
  });
});

describe('TarParser', () => {
  it('reads pax long names, folders, links and the global header, across any chunking', () => {
    const long = `${'deep/'.repeat(30)}file.yml`;
    const bytes = tar([
      { name: 'pax_global_header', type: 'g', data: Buffer.from('52 comment=0123456789012345678901234567890123456789\n') },
      { name: 'top/', type: '5' },
      { name: `top/${long}`, data: 'hello' },
      { name: 'top/link', type: '2', linkname: '/etc/passwd' },
      { name: 'top/big.bin', data: Buffer.alloc(1500, 7) },
    ]);
    for (const step of [bytes.length, 1, 7, 511, 512, 513, 4096]) {
      const seen: { entry: TarEntry; data: Buffer }[] = [];
      let global: Record<string, string> = {};
      let current: Buffer[] = [];
      const p = new TarParser({
        onGlobal: (r) => { global = r; },
        onEntry: (e) => {
          current = [];
          seen.push({ entry: e, data: Buffer.alloc(0) });
          return (c) => current.push(Buffer.from(c));
        },
        onEntryEnd: () => { seen[seen.length - 1]!.data = Buffer.concat(current); },
      });
      for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
      p.end();
      expect(global.comment).toBe('0123456789012345678901234567890123456789');
      expect(seen.map((s) => [s.entry.path, s.entry.kind])).toEqual([
        ['top/', 'directory'], [`top/${long}`, 'file'], ['top/link', 'symlink'], ['top/big.bin', 'file'],
      ]);
      expect(seen[1]!.data.toString()).toBe('hello');
      expect(seen[2]!.entry.linkname).toBe('/etc/passwd');
      expect(seen[3]!.data.equals(Buffer.alloc(1500, 7))).toBe(true);
    }
  });

  it('rejects a corrupt header, a missing end marker and a stream cut inside an entry', () => {
    const good = tar([{ name: 'top/a', data: 'x'.repeat(600) }]);
    const corrupt = Buffer.from(good);
    corrupt[10] = 0x41;
    const parse = (b: Buffer) => {
      const p = new TarParser({ onEntry: () => undefined });
      p.push(b);
      p.end();
    };
    expect(() => parse(good)).not.toThrow();
    expect(() => parse(corrupt)).toThrow(/checksum/);
    expect(() => parse(tar([{ name: 'top/a', data: 'x' }], { endMarker: false }))).toThrow(/end-of-archive/);
    expect(() => parse(good.subarray(0, 700))).toThrow(/truncated/);
  });
});

describe('safeSegments', () => {
  it('refuses absolute and escaping paths, keeps the rest', () => {
    expect(safeSegments('top/./a//b.yml')).toEqual(['top', 'a', 'b.yml']);
    expect(() => safeSegments('/etc/passwd')).toThrow(/absolute/);
    expect(() => safeSegments('top/../../x')).toThrow(/escapes/);
    expect(() => safeSegments('..')).toThrow(/escapes/);
  });
});

describe('extractArchive', () => {
  function write(buf: Buffer): string {
    const dir = tempDir();
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, buf);
    mkdirSync(join(dir, 'out'));
    return file;
  }

  it('writes only wanted files, strips the top folder, reads the commit and its date', async () => {
    const file = write(githubArchive('repo', 'main', { 'rules/a.yml': 'A', 'rules/sub/b.yml': 'B', 'README.md': 'r' }, COMMIT));
    const out = join(file, '..', 'out');
    const res = await extractArchive(file, out, { target: (p) => (p.startsWith('rules/') ? p : undefined), limits: LIMITS });
    expect(res.files).toEqual(['rules/a.yml', 'rules/sub/b.yml']);
    expect(res.bytes).toBe(2);
    expect(res.commit).toBe(COMMIT);
    expect(res.commitDate).toBe('2025-08-05T13:20:00Z');
    expect(res.topFolder).toBe('repo-main');
    expect(readFileSync(join(out, 'rules/sub/b.yml'), 'utf8')).toBe('B');
  });

  it('refuses entries outside the top folder', async () => {
    const file = write(gzipSync(tar([{ name: 'one/a.yml', data: 'a' }, { name: 'two/b.yml', data: 'b' }])));
    await expect(extractArchive(file, join(file, '..', 'out'), { target: (p) => p, limits: LIMITS })).rejects.toThrow(/outside the archive's top folder/);
  });

  it('ignores links outside the wanted paths but refuses them inside', async () => {
    const archive = githubArchive('repo', 'main', { 'rules/a.yml': 'A' }, COMMIT, [{ name: '{top}/docs/link', type: '2', linkname: '../rules' }]);
    const file = write(archive);
    const res = await extractArchive(file, join(file, '..', 'out'), { target: (p) => (p.startsWith('rules/') ? p : undefined), limits: LIMITS });
    expect(res.files).toEqual(['rules/a.yml']);
    await expect(extractArchive(file, join(file, '..', 'out'), { target: (p) => p, limits: LIMITS })).rejects.toThrow(/symbolic link "docs\/link"/);
  });

  it('finds the commit from the first bytes of an archive', () => {
    const archive = githubArchive('repo', 'main', { 'a.yml': 'x'.repeat(100_000) }, COMMIT);
    expect(commitFromArchivePrefix(archive.subarray(0, 300))).toBe(COMMIT);
    expect(commitFromArchivePrefix(githubArchive('repo', 'main', { 'a.yml': 'x' }).subarray(0, 300))).toBeUndefined();
    expect(commitFromArchivePrefix(Buffer.from('not gzip'))).toBeUndefined();
  });
});
