/**
 * The parse cache: what each file of a per-file connector, each whole-folder source and ATT&CK
 * gave the last build, addressed by the sha256 of the bytes read, kept beside the knowledge base
 * (the folder `<db>.parse-cache`, one part file per source and one for ATT&CK) so that a rebuild
 * after a sync reads only what changed, and rewrites only the parts that changed.
 *
 * Never trusted blindly: a part starts with a header line naming it, its format, the reading
 * code's version, the data folder and the sha256 of its body, so a damaged or foreign part, or
 * one made by other code (any change to the connectors, the ATT&CK loader or the parsers: see
 * `codeVersion`) or for another data folder, is discarded with a reason and its source read
 * afresh. Each part is written to a temporary file renamed over the old one, so a build killed at
 * any point leaves every part whole: old or new, each consistent with itself.
 *
 * A file's stamp (size, mtime, ctime, inode) lets a rebuild skip hashing files that did not
 * change; a stamp taken within STAMP_SETTLE_MS of the file's last change is not trusted (a write
 * in the same clock tick would leave the stamp unchanged), and such files are hashed again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { AttackWarning } from '../attack/types.js';
import type { AttackIndex } from '../attack/types.js';
import type { ReadItem } from '../sources/collect.js';
import type { Provenance } from '../core/types.js';
import { walkFiles } from '../sources/lib/files.js';
import { processAlive } from './temp-files.js';

/** Bump when the layout of the cached data changes. */
export const CACHE_FORMAT = 1;
const MAGIC = 'purplebook-parse-cache';
const STAMP_SETTLE_MS = 3000;
/** Packages whose behaviour shapes what the connectors and the ATT&CK loader give. */
const PARSER_PACKAGES = ['js-yaml', 'smol-toml', 'n3'];
/** Folders (under src/ or dist/) holding the code that turns upstream files into records. */
const READING_CODE = ['sources', 'attack', 'resolve', 'util/text'];

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
  /** When the bytes were hashed (ms since the epoch). */
  hashedAt: number;
}

export interface FileEntry {
  sha256: string;
  items: ReadItem[];
  holes: Holes;
}

export interface SourceEntry {
  key: string;
  items: ReadItem[];
  holes: Holes;
}

export interface AttackEntry {
  key: string;
  index: AttackIndex;
  warnings: AttackWarning[];
}

/** One part file: the stamps of the files it depends on, and what they gave. Maps keep their order through v8 serialization. */
export interface CachePart {
  /** Makes this part's provenance placeholders unguessable by upstream text (see provenance templates). */
  nonce: string;
  /** Data-dir-relative path → stamp. */
  stamps: Map<string, FileStamp>;
  /** A per-file source: the context key its file entries were read under, and what each file gave. */
  contextKey?: string;
  files?: Map<string, FileEntry>;
  /** A whole-folder source. */
  source?: SourceEntry;
  attack?: AttackEntry;
}

interface PartHeader {
  magic: typeof MAGIC;
  part: string;
  format: number;
  codeVersion: string;
  dataDir: string;
  /** sha256 of the body. */
  body: string;
}

export function newPart(nonce = randomBytes(12).toString('hex')): CachePart {
  return { nonce, stamps: new Map() };
}

/** The cache folder beside a knowledge base. */
export function parseCachePath(dbPath: string): string {
  return `${dbPath}.parse-cache`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Code version

function codeFiles(dir: string): string[] {
  return walkFiles(dir, (name) => /\.(?:js|ts)$/.test(name) && !name.endsWith('.d.ts')).map((rel) => join(dir, rel));
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve(name));
    for (;;) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg)) {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === name) return `${name}@${json.version}`;
      }
      const up = dirname(dir);
      if (up === dir) return `${name}@?`;
      dir = up;
    }
  } catch {
    return `${name}@?`;
  }
}

let memoCodeVersion: string | undefined;

/**
 * The reading code's version: the sha256 of every connector, ATT&CK loader and parser-helper
 * module as it runs (src/ under tests, dist/ otherwise), of the parser packages' versions and of
 * the cache format. Any change to how a file becomes records makes the old cache foreign.
 */
export function codeVersion(): string {
  if (memoCodeVersion) return memoCodeVersion;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const files: string[] = [];
  for (const part of READING_CODE) {
    const dir = join(root, part);
    files.push(...codeFiles(dir));
    for (const ext of ['.js', '.ts']) if (existsSync(`${dir}${ext}`)) files.push(`${dir}${ext}`);
  }
  const hash = createHash('sha256').update(`format ${CACHE_FORMAT}\n`);
  for (const p of PARSER_PACKAGES) hash.update(`${packageVersion(p)}\n`);
  for (const f of files.sort()) hash.update(`${relative(root, f).split(sep).join('/')}\n`).update(readFileSync(f));
  memoCodeVersion = hash.digest('hex');
  return memoCodeVersion;
}

// ---------------------------------------------------------------------------------------------
// Stamps

/** Same size, times and inode: the file was not written to since the stamp or stat `a` was taken. */
export function sameStat(a: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** The stamp still describes the file and is old enough to trust without reading the file. */
export function stampHolds(stamp: FileStamp | undefined, st: Stats): stamp is FileStamp {
  return !!stamp && sameStat(stamp, st) && Math.max(st.mtimeMs, st.ctimeMs) < stamp.hashedAt - STAMP_SETTLE_MS;
}

const OVER_LIMIT = 'over-limit:';

/** A stamp that stands for a file by its size only: not kept (another reader may hash the file). */
export function sizeOnly(stamp: FileStamp): boolean {
  return stamp.sha256.startsWith(OVER_LIMIT);
}

/** What a stamp says of the content, for a reader that refuses files over `maxBytes` unread. */
export function contentKey(stamp: FileStamp, maxBytes: number): string {
  return stamp.size > maxBytes ? `${OVER_LIMIT}${stamp.size}` : stamp.sha256;
}

/**
 * The file's stamp: the old one when it holds, else a new one from the bytes. Undefined when the
 * file cannot be read or changed while it was hashed (it is then read afresh and not cached). A
 * file over `maxBytes` is not read (connectors refuse it by its size alone): its size stands for
 * its content.
 */
export function stampFile(full: string, old: FileStamp | undefined, maxBytes: number): FileStamp | undefined {
  try {
    const st = statSync(full);
    if (stampHolds(old, st)) return old;
    if (st.size > maxBytes) return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256: `${OVER_LIMIT}${st.size}`, hashedAt: Date.now() };
    const hashedAt = Date.now();
    const digest = hashFile(full);
    const after = statSync(full);
    return sameStat(st, after) ? { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256: digest, hashedAt } : undefined;
  } catch {
    return undefined;
  }
}

const CHUNK = Buffer.alloc(1024 * 1024);

/** sha256 of a file read in chunks through one buffer: hashing the ATT&CK bundles costs no 60 MB. */
function hashFile(full: string): string {
  const hash = createHash('sha256');
  const fd = openSync(full, 'r');
  try {
    for (let n = readSync(fd, CHUNK); n > 0; n = readSync(fd, CHUNK)) hash.update(CHUNK.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Provenance templates

const PROVENANCE_TEXT = ['repository', 'branch', 'commit', 'commitDate', 'accessed', 'version'] as const;
/** Private-use characters around a placeholder: upstream text holding one only costs that file its caching. */
const OPEN = '\uE000';
const CLOSE = '\uE001';

/**
 * Connectors put the provenance in what they give (links to the exact commit read), and a sync
 * moves it for every file of a source. So files are read under placeholders that `fillHoles`
 * swaps for the real values on every build, and a cached file stays good across syncs; only which
 * fields are set, and `accessedFrom`, are part of its key.
 */
export function templateProvenance(p: Provenance, nonce: string): Provenance {
  const out: Provenance = { accessedFrom: p.accessedFrom };
  for (const k of PROVENANCE_TEXT) if (p[k] !== undefined) out[k] = `${OPEN}${nonce}${k}${CLOSE}`;
  return out;
}

export function provenanceShape(p: Provenance): string {
  return JSON.stringify({ accessedFrom: p.accessedFrom, set: PROVENANCE_TEXT.filter((k) => p[k] !== undefined) });
}

/** Where the placeholders sit in a list of items: the item's index, then the keys down to each string holding one. */
export type Holes = (string | number)[][];

/**
 * Where the placeholders are in items just read under them, found once so that every later
 * build fills exactly those strings. Undefined when a piece of a placeholder survives outside a
 * whole one (a connector cut, encoded or reshaped it): such items must be read again with the
 * real provenance, and not cached.
 */
export function findHoles(items: readonly ReadItem[], nonce: string): Holes | undefined {
  const prefix = nonce.slice(0, 8);
  // Every string of every record passes here: plain searches, no regex, and no path copied until a hit.
  const suspect = (v: string) => v.includes(OPEN) || v.includes(CLOSE) || v.includes(prefix);
  const whole = new RegExp(`${OPEN}${nonce}\\w+?${CLOSE}`, 'g');
  const holes: Holes = [];
  const path: (string | number)[] = [];
  let cut = false;
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!suspect(v)) return;
      if (suspect(v.replace(whole, ''))) cut = true;
      else holes.push([...path]);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        walk(v[i]);
        path.pop();
      }
    } else if (v && typeof v === 'object' && !(v instanceof Date)) {
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        path.push(k);
        walk((v as Record<string, unknown>)[k]);
        path.pop();
      }
    }
  };
  for (let i = 0; i < items.length; i++) {
    path.push(i);
    walk(items[i]);
    path.pop();
  }
  return cut ? undefined : holes;
}

/**
 * Items with the placeholders at `holes` replaced by the real provenance, copying only the
 * objects on the way to them (the cached items stay as they are). Undefined when a hole does not
 * lead to a string (a cache written by something else): the items are then read again.
 */
export function fillHoles(items: readonly ReadItem[], holes: Holes, p: Provenance, nonce: string): ReadItem[] | undefined {
  const whole = new RegExp(`${OPEN}${nonce}(\\w+?)${CLOSE}`, 'g');
  const known = new Set<string>(PROVENANCE_TEXT);
  const out: unknown[] = [...items];
  const copied = new Set<unknown>();
  for (const path of holes) {
    let parent: Record<string | number, unknown> = out as never;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!;
      let child = parent[key];
      if (!child || typeof child !== 'object') return undefined;
      if (!copied.has(child)) {
        child = Array.isArray(child) ? [...(child as unknown[])] : { ...child };
        copied.add(child);
        parent[key] = child;
      }
      parent = child as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    const text = parent[last];
    if (typeof text !== 'string') return undefined;
    parent[last] = text.replace(whole, (m, k: string) => (known.has(k) ? p[k as (typeof PROVENANCE_TEXT)[number]] ?? m : m));
  }
  return out as ReadItem[];
}

// ---------------------------------------------------------------------------------------------
// Reading and writing the file

export interface LoadedPart {
  part?: CachePart;
  /** Why a part that was there was not used. */
  discarded?: string;
}

function validHoles(holes: unknown): holes is Holes {
  return Array.isArray(holes) && holes.every((h) => Array.isArray(h) && h.length > 1 && typeof h[0] === 'number'
    && h.every((k) => typeof k === 'string' || typeof k === 'number'));
}

function validItems(items: unknown): items is ReadItem[] {
  if (!Array.isArray(items)) return false;
  for (const it of items) {
    if (Array.isArray(it)) {
      if (it.length !== 1 && (it.length !== 2 || typeof it[0] !== 'string' || typeof it[1] !== 'string')) return false;
    } else if (!it || typeof it !== 'object' || typeof (it as { key?: unknown }).key !== 'string'
      || typeof (it as { title?: unknown }).title !== 'string' || !Array.isArray((it as { techniques?: unknown }).techniques)) {
      return false;
    }
  }
  return true;
}

/** The structure a part of this format has; anything else came from elsewhere. */
function wellFormed(c: Partial<CachePart>): c is CachePart {
  if (typeof c.nonce !== 'string' || !/^[0-9a-f]{24}$/.test(c.nonce) || !(c.stamps instanceof Map)) return false;
  for (const s of c.stamps.values()) if (!s || typeof s.sha256 !== 'string' || typeof s.size !== 'number' || typeof s.hashedAt !== 'number') return false;
  if (c.files !== undefined) {
    if (!(c.files instanceof Map) || typeof c.contextKey !== 'string') return false;
    for (const e of c.files.values()) if (!e || typeof e.sha256 !== 'string' || !validItems(e.items) || !validHoles(e.holes)) return false;
  }
  if (c.source !== undefined && (!c.source || typeof c.source.key !== 'string' || !validItems(c.source.items) || !validHoles(c.source.holes))) return false;
  if (c.attack !== undefined) {
    const a = c.attack;
    if (!a || typeof a.key !== 'string' || !Array.isArray(a.warnings) || !a.index || !(a.index.techniques instanceof Map)
      || !(a.index.mitigations instanceof Map) || !Array.isArray(a.index.domains) || typeof a.index.version !== 'string') return false;
  }
  return true;
}

const PART_FILE = /^([a-z0-9][a-z0-9.-]*)\.part$/;

/**
 * The cache folder. Part names are `attack` and `source.<name>` (source names are lower-case
 * words and hyphens); anything else in the folder is not read.
 */
export class ParseCacheDir {
  constructor(readonly dir: string, private readonly dataDir: string) {}

  /**
   * Clears temporary files of killed builds. A file where the folder should be is not a cache:
   * it is removed, and the reason returned.
   */
  prepare(): string | undefined {
    let isDir: boolean;
    try {
      isDir = statSync(this.dir).isDirectory();
    } catch {
      return undefined;
    }
    if (!isDir) {
      rmSync(this.dir, { force: true });
      return 'not a Purplebook parse cache';
    }
    for (const name of readdirSync(this.dir)) {
      const pid = /\.tmp-(\d+)-\d+$/.exec(name)?.[1];
      if (pid && Number(pid) !== process.pid && !processAlive(Number(pid))) rmSync(join(this.dir, name), { force: true });
    }
    return undefined;
  }

  private file(name: string): string {
    return join(this.dir, `${name}.part`);
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  /** The part, or why it was not used (neither: there was none). */
  load(name: string): LoadedPart {
    const path = this.file(name);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { discarded: `cannot read it (${(e as Error).message})` };
    }
    const headerEnd = buf.indexOf(0x0a);
    let header: Partial<PartHeader>;
    try {
      header = JSON.parse(buf.subarray(0, headerEnd > 0 && headerEnd < 4096 ? headerEnd : 0).toString('utf8')) as Partial<PartHeader>;
    } catch {
      return { discarded: 'not a Purplebook parse cache' };
    }
    if (header.magic !== MAGIC || header.part !== name) return { discarded: 'not a Purplebook parse cache' };
    const body = buf.subarray(headerEnd + 1);
    if (header.body !== sha256(body)) return { discarded: 'damaged (its checksum does not match)' };
    if (header.format !== CACHE_FORMAT) return { discarded: `written in format ${String(header.format)}, this build reads ${CACHE_FORMAT}` };
    if (header.codeVersion !== codeVersion()) return { discarded: 'made by another version of the connectors or parsers' };
    if (header.dataDir !== this.dataDir) return { discarded: `made from another data folder (${String(header.dataDir)})` };
    let part: Partial<CachePart>;
    try {
      part = deserialize(body) as Partial<CachePart>;
    } catch {
      return { discarded: 'damaged (its body does not deserialize)' };
    }
    if (!part || typeof part !== 'object' || !wellFormed(part)) return { discarded: 'damaged (unexpected content)' };
    return { part };
  }

  /**
   * Writes a part whole to a temporary file, then renames it over the old one. `beforeRename` is
   * a test hook (a build that dies just before the rename).
   */
  save(name: string, part: CachePart, beforeRename?: (tempPath: string) => void): void {
    const body = serialize(part);
    const header: PartHeader = { magic: MAGIC, part: name, format: CACHE_FORMAT, codeVersion: codeVersion(), dataDir: this.dataDir, body: sha256(body) };
    const path = this.file(name);
    const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(this.dir, { recursive: true });
    try {
      const fd = openSync(temp, 'w');
      try {
        writeFileSync(fd, `${JSON.stringify(header)}\n`);
        // No fsync: a part cut short by a crash fails its checksum and is discarded.
        writeFileSync(fd, body);
      } finally {
        closeSync(fd);
      }
      beforeRename?.(temp);
      renameSync(temp, path);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
  }

  /** Removes the parts not named in `keep` (sources gone from the data or the registry). */
  prune(keep: Set<string>): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const f of names) {
      const name = PART_FILE.exec(f)?.[1];
      if (name && !keep.has(name)) rmSync(join(this.dir, f), { force: true });
    }
  }
}
