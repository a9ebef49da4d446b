/**
 * The parse cache beside the knowledge base: what a rebuild reuses and what it reads again, and
 * that a rebuild through the cache gives, row for row, the knowledge base a full build gives, after
 * every kind of change (content, provenance, limits, files added and removed) and with a cache
 * that is damaged, foreign, from other code or left by a killed build.
 *
 * The data folder is small and made of real upstream files: Sigma, Splunk, Elastic and Atomic Red
 * Team read file by file, Engage as a whole folder, ATT&CK ICS, and a MANIFEST.json whose
 * commits end up in every record's link.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKnowledgeBase, type BuildOptions, type BuildSummary } from '../../src/kb/build.js';
import { codeVersion, parseCachePath, ParseCacheDir, stampHolds, type FileStamp } from '../../src/kb/parse-cache.js';
import { KnowledgeBase } from '../../src/kb/open.js';
import { ALL_SOURCES, findSource } from '../../src/sources/registry.js';
import type { Source } from '../../src/sources/types.js';
import { DATA_DIR, REPO, cli, tempDir } from '../helpers.js';
import { kbDiff } from './kb-rows.js';

const SIGMA = 'sigma/rules/windows/process_creation';
const SIGMA_FILES = ['proc_creation_win_7zip_exfil_dmp_files.yml', 'proc_creation_win_7zip_password_compression.yml', 'proc_creation_win_acccheckconsole_execution.yml'];
const SPLUNK = 'splunk/detections/endpoint';
const SPLUNK_FILES = ['7zip_commandline_to_smb_share_path.yml', 'access_lsass_memory_for_dump_creation.yml'];
const ELASTIC = 'elastic/rules/windows';
const ELASTIC_FILES = ['collection_email_outlook_mailbox_via_com.toml', 'collection_email_powershell_exchange_mailbox.toml'];
const ATOMIC_FILES = ['atomic-red-team/atomics/T1003/T1003.yaml', 'atomic-red-team/atomics/T1003.001/T1003.001.yaml'];
/** Engage reads its folder whole (its activities join several files). */
const WHOLE = 'engage/Data/json/attack_mapping.json';
const SIGMA_PART = 'source.sigma.part';
/** Files read one by one: every test file's count of reused and re-read files adds up to this. */
const PER_FILE = SIGMA_FILES.length + SPLUNK_FILES.length + ELASTIC_FILES.length + ATOMIC_FILES.length;

function manifest(commit: string): string {
  const entry = (folder: string, repository: string) => ({ folder, repository, branch: 'main', commit, commit_date: '2026-01-02T00:00:00Z', accessed: '2026-01-03' });
  return JSON.stringify({
    sources: [
      entry('sigma/', 'SigmaHQ/sigma'), entry('splunk/', 'splunk/security_content'), entry('elastic/', 'elastic/detection-rules'),
      entry('atomic-red-team/', 'redcanaryco/atomic-red-team'), entry('engage/', 'mitre/engage'),
    ],
  });
}

function copy(data: string, rel: string): void {
  mkdirSync(dirname(join(data, rel)), { recursive: true });
  copyFileSync(join(DATA_DIR, rel), join(data, rel));
}

/** A small data folder of real files, and a knowledge-base path beside it. */
function fixture(): { data: string; db: string } {
  const dir = tempDir('purplebook-cache-');
  const data = join(dir, 'data');
  for (const f of SIGMA_FILES) copy(data, `${SIGMA}/${f}`);
  for (const f of SPLUNK_FILES) copy(data, `${SPLUNK}/${f}`);
  for (const f of ELASTIC_FILES) copy(data, `${ELASTIC}/${f}`);
  for (const f of [...ATOMIC_FILES, WHOLE, 'engage/Data/json/activity_details.json', 'attack/ics-attack.json']) copy(data, f);
  writeFileSync(join(data, 'MANIFEST.json'), manifest('1111111111111111111111111111111111111111'));
  return { data, db: join(dir, 'kb', 'kb.db') };
}

/** Sources present in the fixture that read their folder whole (the ATT&CK-derived ones and Engage). */
const wholeSources = (data: string) => ALL_SOURCES.filter((s) => !s.perFile && existsSync(join(data, s.folder))).length;

const build = (data: string, db: string, more: Partial<BuildOptions> = {}): Promise<BuildSummary> =>
  buildKnowledgeBase({ dataDir: data, dbPath: db, quiet: true, ...more });

/** The same data built from nothing, without a cache, beside the knowledge base under test. */
async function fullBuildOf(data: string, db: string): Promise<string> {
  const reference = `${db}.reference.db`;
  await build(data, reference, { cache: false });
  return reference;
}

async function expectSameAsFull(data: string, db: string): Promise<void> {
  expect(kbDiff(db, await fullBuildOf(data, db))).toEqual([]);
}

function title(db: string, key: string): string | undefined {
  const kb = KnowledgeBase.open(db);
  try {
    return (kb.db.prepare('SELECT title FROM resources WHERE key = ?').get(key) as { title: string } | undefined)?.title;
  } finally {
    kb.close();
  }
}

describe('parse cache', () => {
  it('a rebuild of unchanged data reads nothing and gives the same knowledge base', async () => {
    const { data, db } = fixture();
    const first = await build(data, db);
    expect(first.cache).toMatchObject({ discarded: undefined, saved: true, reused: { files: 0, sources: 0, attack: false } });
    expect(first.cache.read).toEqual({ files: PER_FILE, sources: wholeSources(data), attack: true });
    expect(existsSync(parseCachePath(db))).toBe(true);
    const copyOfFirst = `${db}.first.db`;
    copyFileSync(db, copyOfFirst);

    const second = await build(data, db);
    expect(second.cache).toMatchObject({ discarded: undefined, read: { files: 0, sources: 0, attack: false } });
    expect(second.cache.reused).toEqual({ files: PER_FILE, sources: wholeSources(data), attack: true });
    expect(kbDiff(copyOfFirst, db)).toEqual([]);
    await expectSameAsFull(data, db);
  });

  it('a rebuild of settled, unchanged data rewrites no part of the cache', async () => {
    const { data, db } = fixture();
    // Files younger than the stamp settle time are hashed again on every build (see stampHolds).
    await new Promise((r) => setTimeout(r, 3100));
    await build(data, db);
    const dir = parseCachePath(db);
    const written = () => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, statSync(join(dir, f)).mtimeMs]));
    const before = written();
    expect(Object.keys(before)).toContain('source.engage.part');

    const again = await build(data, db);
    expect(again.cache).toMatchObject({ saved: false, read: { files: 0, sources: 0, attack: false } });
    expect(written()).toEqual(before);
  });

  it('a changed file is read again, even with its size and modification time kept; a touched file is not', async () => {
    const { data, db } = fixture();
    await build(data, db);
    const file = join(data, SIGMA, SIGMA_FILES[0]!);
    const text = readFileSync(file, 'utf8');
    // Whole seconds, which utimes sets exactly.
    const mtime = Math.floor(Date.now() / 1000) - 3600;
    utimesSync(file, mtime, mtime);
    const before = statSync(file);
    const oldTitle = /^title: (.*)$/m.exec(text)![1]!;
    // Same length, same mtime: only the content (and the ctime, which no tool can set) changed.
    const newTitle = oldTitle.replace(/[a-z]/, (c) => (c === 'x' ? 'y' : 'x'));
    expect(newTitle).not.toBe(oldTitle);
    writeFileSync(file, text.replace(oldTitle, newTitle));
    utimesSync(file, mtime, mtime);
    expect(statSync(file).size).toBe(before.size);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);

    const changed = await build(data, db);
    expect(changed.cache.read).toEqual({ files: 1, sources: 0, attack: false });
    expect(changed.cache.reused.files).toBe(PER_FILE - 1);
    expect(title(db, `rules/windows/process_creation/${SIGMA_FILES[0]}`)).toBe(newTitle);
    await expectSameAsFull(data, db);

    // A new modification time on the same bytes: hashed, found equal, not read.
    const later = new Date(Date.now() + 60_000);
    for (const f of SPLUNK_FILES) utimesSync(join(data, SPLUNK, f), later, later);
    const touched = await build(data, db);
    expect(touched.cache.read).toEqual({ files: 0, sources: 0, attack: false });

    // A changed file in a folder read whole: that source is read again, and only it.
    appendFileSync(join(data, WHOLE), '\n');
    const whole = await build(data, db);
    expect(whole.cache.read).toEqual({ files: 0, sources: 1, attack: false });
    await expectSameAsFull(data, db);
  });

  it('files added and removed, a moved commit and other limits give what a full build gives', async () => {
    const { data, db } = fixture();
    await build(data, db);

    rmSync(join(data, SIGMA, SIGMA_FILES[1]!));
    copy(data, `${SIGMA}/proc_creation_win_addinutil_suspicious_cmdline.yml`);
    const added = await build(data, db);
    expect(added.cache.read.files).toBe(1);
    expect(title(db, `rules/windows/process_creation/${SIGMA_FILES[1]}`)).toBeUndefined();
    await expectSameAsFull(data, db);

    // A sync that moves every commit changes every link, yet no file needs reading again.
    writeFileSync(join(data, 'MANIFEST.json'), manifest('2222222222222222222222222222222222222222'));
    const moved = await build(data, db);
    expect(moved.cache.read.files).toBe(0);
    const kb = KnowledgeBase.open(db);
    const urls = kb.db.prepare("SELECT url FROM resources WHERE source IN ('sigma', 'splunk', 'elastic', 'atomic-red-team')").pluck().all() as string[];
    kb.close();
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => !u.includes('/2222222222222222222222222222222222222222/'))).toEqual([]);
    await expectSameAsFull(data, db);

    // Limits are part of what a file gives: other limits, everything read again.
    const strict = await build(data, db, { limits: { maxTechniquesPerResource: 1 } });
    expect(strict.cache.read.files).toBe(PER_FILE);
    const reference = `${db}.strict.db`;
    await build(data, reference, { cache: false, limits: { maxTechniquesPerResource: 1 } });
    expect(kbDiff(db, reference)).toEqual([]);
  });

  it('build --full reads everything and writes a new cache', async () => {
    const { data, db } = fixture();
    await build(data, db);
    const full = await build(data, db, { full: true });
    expect(full.cache).toMatchObject({ discarded: 'ignored (--full)', saved: true, reused: { files: 0, sources: 0, attack: false } });
    expect(full.cache.read.files).toBe(PER_FILE);
    expect((await build(data, db)).cache.reused.files).toBe(PER_FILE);
  });

  it('a damaged, foreign, other-version or other-folder part is discarded with its reason, and only its source read again', async () => {
    const { data, db } = fixture();
    await build(data, db);
    const cacheDir = parseCachePath(db);
    expect(readdirSync(cacheDir)).toContain(SIGMA_PART);
    const sigmaPart = join(cacheDir, SIGMA_PART);
    const good = readFileSync(sigmaPart);
    const headerEnd = good.indexOf(0x0a);
    const header = JSON.parse(good.subarray(0, headerEnd).toString('utf8')) as { codeVersion: string; part: string };
    expect(header).toMatchObject({ codeVersion: codeVersion(), part: 'source.sigma' });
    const withHeader = (h: object) => Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, ...h })}\n`), good.subarray(headerEnd + 1)]);
    const flipped = Buffer.from(good);
    flipped[headerEnd + 1 + Math.floor((good.length - headerEnd) / 2)]! ^= 0xff;
    const otherPart = readFileSync(join(cacheDir, 'source.splunk.part'));

    const cases: [string, Buffer, string][] = [
      ['one byte flipped', flipped, 'damaged (its checksum does not match)'],
      ['cut short', good.subarray(0, Math.floor(good.length * 0.6)), 'damaged (its checksum does not match)'],
      ['empty', Buffer.alloc(0), 'not a Purplebook parse cache'],
      ['another file', Buffer.from('SQLite format 3\u0000 and so on'), 'not a Purplebook parse cache'],
      ["another source's part", otherPart, 'not a Purplebook parse cache'],
      ['other connector code', withHeader({ codeVersion: '0'.repeat(64) }), 'made by another version of the connectors or parsers'],
      ['another format', withHeader({ format: 999 }), 'written in format 999, this build reads 1'],
      ['another data folder', withHeader({ dataDir: '/somewhere/else' }), 'made from another data folder (/somewhere/else)'],
    ];
    for (const [what, bytes, reason] of cases) {
      writeFileSync(sigmaPart, bytes);
      const s = await build(data, db);
      expect([what, s.cache.discarded, s.cache.read.files, s.cache.reused.files]).toEqual([what, reason, SIGMA_FILES.length, PER_FILE - SIGMA_FILES.length]);
      expect(new ParseCacheDir(cacheDir, data).load('source.sigma').part, `${what}: the build wrote a good part again`).toBeDefined();
    }
    await expectSameAsFull(data, db);

    // Every part made by other code (a new version of the connectors): one reason, everything read.
    for (const f of readdirSync(cacheDir)) {
      const bytes = readFileSync(join(cacheDir, f));
      const end = bytes.indexOf(0x0a);
      const h = JSON.parse(bytes.subarray(0, end).toString('utf8')) as object;
      writeFileSync(join(cacheDir, f), Buffer.concat([Buffer.from(`${JSON.stringify({ ...h, codeVersion: 'f'.repeat(64) })}\n`), bytes.subarray(end + 1)]));
    }
    const upgraded = await build(data, db);
    expect(upgraded.cache).toMatchObject({ discarded: 'made by another version of the connectors or parsers', read: { files: PER_FILE, attack: true } });

    // A file where the cache folder belongs is not a cache.
    rmSync(cacheDir, { recursive: true });
    writeFileSync(cacheDir, 'not a folder');
    const file = await build(data, db);
    expect(file.cache).toMatchObject({ discarded: 'not a Purplebook parse cache', saved: true, read: { files: PER_FILE } });
    expect(statSync(cacheDir).isDirectory()).toBe(true);
  });

  it('a cache part that cannot be renamed in leaves the old one, which the next build uses; the knowledge base is built all the same', async () => {
    const { data, db } = fixture();
    await build(data, db);
    const cacheDir = parseCachePath(db);
    const before = readFileSync(join(cacheDir, SIGMA_PART));
    appendFileSync(join(data, SIGMA, SIGMA_FILES[2]!), '\n# a change\n');
    const failed = await build(data, db, { beforeCacheRename: () => { throw new Error('disk full'); } });
    expect(failed.cache).toMatchObject({ saved: false, saveError: 'disk full', read: { files: 1 } });
    await expectSameAsFull(data, db);
    expect(readFileSync(join(cacheDir, SIGMA_PART)).equals(before)).toBe(true);
    expect(readdirSync(cacheDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const next = await build(data, db);
    expect(next.cache.discarded).toBeUndefined();
    expect(next.cache.read.files).toBe(1);
    await expectSameAsFull(data, db);
  });

  it('builds SIGKILLed at any point leave a cache the next build can use, and the same knowledge base', async () => {
    const { data, db } = fixture();
    const dist = (p: string) => join(REPO, 'dist', p);
    const main = dist('cli/main.js');
    // The compiled code's view of the cache (a cache records the code that wrote it: the CLI runs dist/, this test src/).
    const whyNotUsable = (): string => {
      const script = `import(${JSON.stringify(dist('kb/parse-cache.js'))}).then((m) => {
        const [dir, data] = process.argv.slice(1);
        const parts = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.part')).map((f) => f.slice(0, -5)) : [];
        const cache = new m.ParseCacheDir(dir, data);
        process.stdout.write(parts.map((p) => cache.load(p).discarded).filter(Boolean).join('; '));
      })`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import fs from 'node:fs'; ${script}`, parseCachePath(db), data], { encoding: 'utf8' });
      return r.stdout + r.stderr;
    };
    // How long one rebuild of a changed file takes here, so the kills below land inside a build on a
    // fast machine and a loaded one alike.
    const timed = async (): Promise<number> => {
      const child = spawn(process.execPath, [main, 'build', '--data', data, '--db', db, '--quiet'], { stdio: 'ignore' });
      const start = performance.now();
      await new Promise((r) => child.once('exit', r));
      return performance.now() - start;
    };
    await timed();
    appendFileSync(join(data, SIGMA, SIGMA_FILES[0]!), '\n# warm-up change\n');
    const rebuildMs = await timed();
    // From before the cache is read to after the knowledge base is renamed in; the data changes between kills.
    // A build that ends before its kill (a loaded machine makes rebuilds vary) is tried again
    // sooner, up to three times, so that every point of the build is hit.
    let killed = 0;
    let change = 0;
    for (const fraction of [0.02, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9]) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const ms = Math.max(5, Math.round(rebuildMs * fraction * 0.5 ** attempt));
        appendFileSync(join(data, SIGMA, SIGMA_FILES[change % SIGMA_FILES.length]!), `\n# change ${change++}\n`);
        const child = spawn(process.execPath, [main, 'build', '--data', data, '--db', db, '--quiet'], { stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), ms);
        await new Promise((r) => child.once('exit', r));
        clearTimeout(timer);
        expect(whyNotUsable(), `killed after ${ms} ms`).toBe('');
        if (child.signalCode === 'SIGKILL') {
          killed++;
          break;
        }
      }
    }
    // Builds that ended before their kill prove nothing; most points must have been hit.
    expect(killed).toBeGreaterThanOrEqual(6);
    const next = cli(['build', '--data', data, '--db', db, '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.stdout) as BuildSummary).cache.discarded).toBeUndefined();
    expect(readdirSync(dirname(db)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(parseCachePath(db)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    await expectSameAsFull(data, db);
  });
});

describe('what the cache does not trust', () => {
  it('a stamp holds only for the same size, times and inode, and only once the file has settled', () => {
    const now = Date.now();
    const stamp: FileStamp = { size: 10, mtimeMs: now - 10_000, ctimeMs: now - 10_000, ino: 7, sha256: 'x', hashedAt: now };
    const st = (over: Partial<FileStamp>) => ({ size: 10, mtimeMs: now - 10_000, ctimeMs: now - 10_000, ino: 7, ...over }) as never;
    expect(stampHolds(stamp, st({}))).toBe(true);
    expect(stampHolds(stamp, st({ size: 11 }))).toBe(false);
    expect(stampHolds(stamp, st({ mtimeMs: now - 9_000 }))).toBe(false);
    expect(stampHolds(stamp, st({ ctimeMs: now - 9_000 }))).toBe(false);
    expect(stampHolds(stamp, st({ ino: 8 }))).toBe(false);
    // Hashed within a clock tick or two of the last write: a same-size write in that tick would leave the stamp as is.
    const fresh = { ...stamp, mtimeMs: now - 100, ctimeMs: now - 100 };
    expect(stampHolds(fresh, st({ mtimeMs: now - 100, ctimeMs: now - 100 }))).toBe(false);
    expect(stampHolds(undefined, st({}))).toBe(false);
  });

  it('a connector that cuts a provenance placeholder gets the real provenance and is not cached', async () => {
    const { data, db } = fixture();
    const { load: _none, ...base } = findSource('sigma')!;
    const short: Source = {
      ...base, name: 'sigma-short-commit',
      perFile: {
        files: base.perFile!.files,
        read: (ctx, file) => [{ key: file, title: file, url: `https://example.org/${ctx.provenance.commit?.slice(0, 7)}`, techniques: [] }],
      },
    };
    const first = await build(data, db, { sources: [short] });
    expect(first.cache.read.files).toBe(SIGMA_FILES.length);
    const kb = KnowledgeBase.open(db);
    expect(kb.db.prepare('SELECT DISTINCT url FROM resources').pluck().all()).toEqual(['https://example.org/1111111']);
    kb.close();
    expect((await build(data, db, { sources: [short] })).cache.read.files).toBe(SIGMA_FILES.length);
  });

  it('a connector that reads ATT&CK without declaring it is reported, not run with a stale ATT&CK', async () => {
    const { data, db } = fixture();
    const sneaky: Source = {
      name: 'sneaky', title: 'Sneaky', pillar: 'detection', order: 99, homepage: 'https://example.org', folder: 'engage', upstream: null,
      license: 'MIT', resourceKind: 'x', mapsVia: 'x',
      *load(ctx) {
        yield { key: 'k', title: ctx.attack.version, techniques: [] };
      },
    };
    await build(data, db, { sources: [sneaky] });
    const kb = KnowledgeBase.open(db);
    const reasons = kb.db.prepare("SELECT reason FROM warnings WHERE source = 'sneaky'").pluck().all();
    kb.close();
    expect(reasons).toEqual(['connector failed: sneaky reads ATT&CK: its connector must declare usesAttack']);
  });
});
