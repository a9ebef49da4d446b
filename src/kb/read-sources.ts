/**
 * Reads what the build writes: ATT&CK and every present source, through the parse cache
 * (parse-cache.ts) and a pool of worker threads (parse-pool.ts).
 *
 * The main thread lists and stamps the files, reuses what the cache holds for unchanged bytes,
 * posts the rest to the pool (per-file connectors in batches, whole-folder sources as one task),
 * loads ATT&CK meanwhile, then runs the connectors that read ATT&CK. Whatever ran where, the
 * items are replayed in the same order (sources in registry order, files in each connector's
 * order), so the records and warnings are the same as reading everything in one thread.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadAttack } from '../attack/load.js';
import type { AttackWarning } from '../attack/types.js';
import type { AttackIndex } from '../attack/types.js';
import {
  finishSource, isPerFile, listFiles, loadItems, readFileItems, replayItems, sourcePresent,
  type Collected, type PerFileSource, type ReadItem, type ReadOptions, type SourceWarning,
} from '../sources/collect.js';
import { findSource } from '../sources/registry.js';
import type { Limits, Provenance } from '../core/types.js';
import type { ResourceRecord, Source } from '../sources/types.js';
import type { Progress } from '../util/progress.js';
import {
  contentKey, fillHoles, findHoles, newPart, ParseCacheDir, provenanceShape, sha256, sizeOnly, stampFile, stampHolds, templateProvenance,
  type CachePart, type FileEntry, type FileStamp, type Holes, type SourceEntry,
} from './parse-cache.js';
import { ParsePool, workerScript } from './parse-pool.js';
import { runTask, type FileResult, type FileTask, type Task, type TaskResult, type TaskSetup } from './parse-task.js';
import { provenanceFor, type ManifestIndex } from './provenance.js';

/** Below this much to read, starting worker threads costs more than it saves. */
const POOL_MIN_BYTES = 2 * 1024 * 1024;
const BATCH_BYTES = 256 * 1024;
const BATCH_FILES = 100;
/**
 * The parse workers' heaps, the build's peak memory (issue 24, measured by `npm run bench`). A
 * stated old-generation limit lowers how far V8 lets a heap grow past what survived its last
 * collection (a factor up to 4 for a heap without one, about 1.6 at 1 GB): the two workers' heaps
 * stayed tens of MB smaller at about the same CPU. The limit itself is far: a task reads one
 * batch of files of at most 20 MB each, or one whole-folder source, in tens of MB of heap; 1 GB
 * is also V8's default on a machine with 4 GB of memory, and past it V8 stops the build as it
 * would past the main thread's own limit. A 16 MB young generation was measured against 8 and 32: as
 * small a peak as 8, with less CPU (fewer objects promoted to the old generation).
 */
const PARSER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 1024 };

export function defaultJobs(): number {
  return availableParallelism();
}

export interface ReadSourcesOptions {
  dataDir: string;
  sources: readonly Source[];
  limits: Limits;
  manifest: ManifestIndex;
  progress: Progress;
  /** The parse cache folder; undefined: no cache is read or written. */
  cachePath?: string;
  /** Read everything afresh, ignoring the cache (a new one is still written). */
  full?: boolean;
  /** Worker threads; 1 or less reads in this thread. */
  jobs: number;
  /** Test hook: called with each cache part's temporary file before it is renamed into place. */
  beforeCacheRename?: (tempPath: string) => void;
}

export interface CacheReport {
  /** Undefined when the build ran without a cache. */
  path?: string;
  /** Why an existing cache was not used. */
  discarded?: string;
  reused: { files: number; sources: number; attack: boolean };
  read: { files: number; sources: number; attack: boolean };
  saved: boolean;
  /** Why the new cache could not be written (the knowledge base is built all the same). */
  saveError?: string;
}

export interface SourceRead {
  source: Source;
  loaded: boolean;
  records: ResourceRecord[];
  warnings: SourceWarning[];
}

export interface SourcesRead {
  attack: AttackIndex;
  attackWarnings: AttackWarning[];
  sources: SourceRead[];
  skipped: string[];
  cache: CacheReport;
  /** Worker threads used (0: everything was read in this thread). */
  workers: number;
}

interface FilePlan {
  file: string;
  size: number;
  cached?: FileEntry;
  stamp?: FileStamp;
  result?: FileResult;
}

/** One cache part as this build goes: what the last build left (if usable) and what this one keeps. */
interface Part {
  name: string;
  prev?: CachePart;
  next: CachePart;
  /** Something in it was read afresh this build. */
  read: boolean;
}

interface Common {
  part: Part;
  provenance: Provenance;
  template: Provenance;
}

type Plan =
  | { kind: 'absent'; source: Source }
  | (Common & { kind: 'files'; source: PerFileSource; contextKey: string; listing: ReadItem[]; files: FilePlan[] })
  | (Common & { kind: 'whole'; source: Source; folderKey?: string; bytes: number; key?: string; cached?: SourceEntry; items?: ReadItem[]; holes?: Holes });

/** Every file under a folder (symlinks not followed), data-dir-relative, sorted. */
function allFiles(dataDir: string, folder: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(dataDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(`${rel}/${e.name}`);
      else if (e.isFile()) out.push(`${rel}/${e.name}`);
    }
  };
  walk(folder);
  return out.sort();
}

/** One reason when every discarded part gave the same, else each part with its own. */
function discardedSummary(reasons: Map<string, string>): string | undefined {
  const distinct = new Set(reasons.values());
  if (distinct.size <= 1) return [...distinct][0];
  return [...reasons].map(([name, reason]) => `${name}: ${reason}`).join('; ');
}

class Reader {
  readonly report: CacheReport;
  private readonly dir: ParseCacheDir | undefined;
  private readonly parts = new Map<string, Part>();
  private readonly discarded = new Map<string, string>();

  constructor(private readonly opts: ReadSourcesOptions) {
    this.dir = opts.cachePath ? new ParseCacheDir(opts.cachePath, opts.dataDir) : undefined;
    const notACache = this.dir?.prepare();
    if (notACache) this.discarded.set('cache', notACache);
    else if (opts.full && this.dir?.exists()) this.discarded.set('cache', 'ignored (--full)');
    this.report = {
      path: opts.cachePath, saved: false, reused: { files: 0, sources: 0, attack: false }, read: { files: 0, sources: 0, attack: false },
    };
  }

  /** Whether any part was used: the pool is only worth starting for a large read. */
  get hadCache(): boolean {
    return [...this.parts.values()].some((p) => p.prev);
  }

  part(name: string): Part {
    let part = this.parts.get(name);
    if (part) return part;
    let prev: CachePart | undefined;
    if (this.dir && !this.opts.full) {
      const loaded = this.dir.load(name);
      prev = loaded.part;
      if (loaded.discarded) this.discarded.set(name, loaded.discarded);
    }
    part = { name, prev, next: newPart(prev?.nonce), read: false };
    this.parts.set(name, part);
    return part;
  }

  /** A stamp for a data-dir-relative file, recorded in the part for the next build. */
  stamp(part: Part, file: string, maxBytes: number): FileStamp | undefined {
    const s = stampFile(join(this.opts.dataDir, file), part.prev?.stamps.get(file), maxBytes);
    if (s && !sizeOnly(s)) part.next.stamps.set(file, s);
    return s;
  }

  /** sha256 over the files' content hashes; undefined when one could not be hashed. */
  filesKey(part: Part, files: string[], maxBytes: number, extra: unknown): string | undefined {
    const keys: [string, string][] = [];
    for (const f of files) {
      const s = this.stamp(part, f, maxBytes);
      if (!s) return undefined;
      keys.push([f, contentKey(s, maxBytes)]);
    }
    return sha256(JSON.stringify({ files: keys, extra }));
  }

  plan(source: Source): Plan {
    const { dataDir, limits, manifest } = this.opts;
    if (!sourcePresent(source, dataDir)) return { kind: 'absent', source };
    const part = this.part(`source.${source.name}`);
    const provenance = provenanceFor(manifest, dataDir, source.folder);
    const template = templateProvenance(provenance, part.next.nonce);
    const context = { provenance: provenanceShape(provenance), limits };
    if (!isPerFile(source)) {
      const files = allFiles(dataDir, source.folder);
      const bytes = files.reduce((n, f) => n + (part.prev?.stamps.get(f)?.size ?? 0), 0);
      return { kind: 'whole', source, part, provenance, template, bytes, folderKey: this.filesKey(part, files, limits.maxFileBytes, context) };
    }
    const contextKey = sha256(JSON.stringify(context));
    const { files, items: listing } = listFiles(source, { dataDir, provenance: template, limits });
    const cachedFiles = part.prev?.contextKey === contextKey ? part.prev.files : undefined;
    const plans = files.map((file): FilePlan => {
      const old = part.prev?.stamps.get(file);
      const cached = cachedFiles?.get(file);
      let size = 0;
      try {
        const st = statSync(join(dataDir, file));
        size = st.size;
        // Unchanged by its stamp and read before: not even opened. Anything else is hashed where it is read.
        if (cached && stampHolds(old, st) && old.sha256 === cached.sha256) return { file, size, cached, stamp: old, result: { file, stamp: old } };
      } catch {
        // Unreadable now: the connector reports it when it tries.
      }
      return { file, size, cached, stamp: old };
    });
    return { kind: 'files', source, part, provenance, template, contextKey, listing, files: plans };
  }

  /** Whole-folder sources: reuse by key, or a task. ATT&CK readers wait for `attackKey`. */
  wholeKey(p: Extract<Plan, { kind: 'whole' }>, attackKey: string | undefined): void {
    if (p.folderKey === undefined) return;
    if (p.source.usesAttack && attackKey === undefined) return;
    p.key = p.source.usesAttack ? sha256(`${p.folderKey}\n${attackKey}`) : p.folderKey;
    const cached = p.part.prev?.source;
    if (cached && cached.key === p.key) p.cached = cached;
  }

  /** Batches of files to read, by source, in order. */
  fileTasks(p: Extract<Plan, { kind: 'files' }>): { task: Task; plans: FilePlan[]; bytes: number }[] {
    const out: { task: Task; plans: FilePlan[]; bytes: number }[] = [];
    let batch: FilePlan[] = [];
    let bytes = 0;
    const flush = () => {
      if (!batch.length) return;
      const files = batch.map((f): FileTask => ({ file: f.file, stamp: f.stamp, expect: f.cached?.sha256 }));
      out.push({ task: { kind: 'files', source: p.source.name, provenance: p.template, nonce: p.part.next.nonce, files }, plans: batch, bytes });
      batch = [];
      bytes = 0;
    };
    for (const f of p.files) {
      if (f.result) continue;
      batch.push(f);
      bytes += f.size;
      if (bytes >= BATCH_BYTES || batch.length >= BATCH_FILES) flush();
    }
    flush();
    return out;
  }

  /**
   * ATT&CK from the cache, else read: in a worker thread of its own when `script` is given, so
   * that the garbage of parsing its bundles (several times their 60 MB) goes away with the worker
   * instead of staying in this heap while the sources are read; `whileReading` runs meanwhile.
   */
  async loadAttackCached(script: URL | undefined, whileReading: () => void): Promise<{ attack: AttackIndex; warnings: AttackWarning[]; key?: string }> {
    const { dataDir, limits } = this.opts;
    const part = this.part('attack');
    const files = [...allFiles(dataDir, 'attack'), ...(existsSync(join(dataDir, 'MANIFEST.json')) ? ['MANIFEST.json'] : [])];
    const key = this.filesKey(part, files, limits.maxBundleBytes, { limits });
    const cached = part.prev?.attack;
    if (key !== undefined && cached?.key === key) {
      this.report.reused.attack = true;
      part.next.attack = cached;
      whileReading();
      return { attack: cached.index, warnings: cached.warnings, key };
    }
    this.opts.progress.update('Loading ATT&CK');
    let attack: AttackIndex;
    let warnings: AttackWarning[];
    if (script) {
      const worker = new ParsePool(1, { dataDir, limits }, script);
      try {
        const reading = worker.run({ kind: 'attack' });
        whileReading();
        const r = await reading;
        if (r.kind !== 'attack') throw new Error('ATT&CK worker gave no ATT&CK');
        ({ index: attack, warnings } = r);
      } finally {
        await worker.close();
      }
    } else {
      warnings = [];
      attack = loadAttack(dataDir, (w) => warnings.push(w), limits);
      whileReading();
    }
    this.report.read.attack = true;
    part.read = true;
    if (key !== undefined) part.next.attack = { key, index: attack, warnings };
    return { attack, warnings, key };
  }

  realOptions(p: Common, attack?: AttackIndex): ReadOptions {
    return { dataDir: this.opts.dataDir, provenance: p.provenance, limits: this.opts.limits, attack };
  }

  /**
   * The source's records and warnings, from what was read or cached, with the real provenance
   * filled in; what was read goes to the next cache. Items whose placeholders did not survive (a
   * connector cut or encoded one) are read again here with the real provenance, and not cached.
   */
  async assemble(p: Exclude<Plan, { kind: 'absent' }>, attack: AttackIndex): Promise<Collected> {
    const out: Collected = { records: [], warnings: [] };
    const { nonce } = p.part.next;
    // Records are copied so that a connector's `finish` never changes what the cache holds.
    const replay = (items: ReadItem[]) => replayItems(p.source, items.map((it) => (Array.isArray(it) ? it : { ...it })), out, this.opts.limits);
    const fill = (items: ReadItem[], holes: Holes | undefined) => (holes ? fillHoles(items, holes, p.provenance, nonce) : undefined);
    if (p.kind === 'whole') {
      const entry = p.items ? { items: p.items, holes: p.holes } : p.cached!;
      const filled = fill(entry.items, entry.holes);
      if (!filled) {
        replayItems(p.source, await loadItems(p.source, this.realOptions(p, attack)), out, this.opts.limits);
      } else {
        replay(filled);
        // The reused entry itself, so that an unchanged part is seen as such and not written again.
        if (p.key !== undefined) p.part.next.source = p.items ? { key: p.key, items: entry.items, holes: entry.holes! } : p.cached;
      }
      if (p.items) {
        this.report.read.sources++;
        p.part.read = true;
      } else this.report.reused.sources++;
      return out;
    }
    replay(fill(p.listing, findHoles(p.listing, nonce)) ?? []);
    const byFile = new Map<string, FileEntry>();
    for (const f of p.files) {
      const entry = f.result?.items ? { items: f.result.items, holes: f.result.holes } : f.cached!;
      const filled = fill(entry.items, entry.holes);
      replay(filled ?? readFileItems(p.source, this.realOptions(p), f.file));
      const stamp = f.result?.stamp;
      if (stamp && !sizeOnly(stamp)) p.part.next.stamps.set(f.file, stamp);
      if (stamp && filled) byFile.set(f.file, { sha256: stamp.sha256, items: entry.items, holes: entry.holes! });
      if (f.result?.items) {
        this.report.read.files++;
        p.part.read = true;
      } else this.report.reused.files++;
    }
    p.part.next.contextKey = p.contextKey;
    p.part.next.files = byFile;
    finishSource(p.source, this.realOptions(p, attack), out);
    return out;
  }

  /** Writes the parts that changed, removes those no source uses any more. */
  save(): void {
    this.report.discarded = discardedSummary(this.discarded);
    if (!this.dir) return;
    try {
      for (const part of this.parts.values()) {
        if (!changed(part)) continue;
        this.dir.save(part.name, part.next, this.opts.beforeCacheRename);
        this.report.saved = true;
      }
      this.dir.prune(new Set(this.parts.keys()));
    } catch (e) {
      this.report.saveError = (e as Error).message;
    }
  }
}

/** Anything to write: something read, a stamp renewed, an entry gone, or no usable part before. */
function changed(part: Part): boolean {
  const { prev, next } = part;
  if (!prev || part.read) return true;
  if (prev.stamps.size !== next.stamps.size) return true;
  for (const [f, s] of next.stamps) if (prev.stamps.get(f) !== s) return true;
  return (prev.files?.size ?? -1) !== (next.files?.size ?? -1) || prev.source !== next.source || prev.attack !== next.attack;
}

/** Runs tasks on the pool (registry sources only) or here, in the order given. */
function runner(pool: ParsePool | undefined, setup: TaskSetup): (task: Task, source: Source) => Promise<TaskResult> {
  return (task, source) => (pool && findSource(source.name) === source ? pool.run(task) : runTask(task, setup, source));
}

export async function readSources(opts: ReadSourcesOptions): Promise<SourcesRead> {
  const reader = new Reader(opts);
  const script = opts.jobs > 1 ? workerScript() : undefined;
  let plans: Plan[] = [];
  const planAll = () => {
    opts.progress.update('Checking files');
    plans = opts.sources.map((s) => reader.plan(s));
    for (const p of plans) if (p.kind === 'whole' && !p.source.usesAttack) reader.wholeKey(p, undefined);
  };
  // ATT&CK before the pool starts: its parse is the build's biggest memory peak, best not shared.
  const { attack, warnings: attackWarnings, key: attackKey } = await reader.loadAttackCached(script, planAll);

  const setup: TaskSetup = { dataDir: opts.dataDir, limits: opts.limits };
  const fileTasks = plans.flatMap((p) => (p.kind === 'files' ? reader.fileTasks(p).map((t) => ({ ...t, plan: p })) : []));
  const wholeTasks = plans.filter((p): p is Extract<Plan, { kind: 'whole' }> => p.kind === 'whole' && !p.source.usesAttack && !p.cached);
  const bytes = fileTasks.reduce((n, t) => n + t.bytes, 0) + wholeTasks.reduce((n, p) => n + p.bytes, 0);
  const poolSize = Math.min(opts.jobs, fileTasks.length + wholeTasks.length);
  // Without a previous cache the folder sizes are unknown: a fresh build always has work enough.
  const worthIt = bytes >= POOL_MIN_BYTES || !reader.hadCache;
  const pool = script && poolSize > 1 && worthIt ? new ParsePool(poolSize, setup, script, PARSER_HEAP_LIMITS) : undefined;
  const run = runner(pool, setup);

  const total = fileTasks.length + wholeTasks.length;
  let done = 0;
  const tick = () => opts.progress.update('Reading sources', ++done, total);
  try {
    const work: Promise<void>[] = [];
    const startWhole = (p: Extract<Plan, { kind: 'whole' }>) => run({ kind: 'source', source: p.source.name, provenance: p.template, nonce: p.part.next.nonce }, p.source)
      .then((r) => {
        if (r.kind === 'source') ({ items: p.items, holes: p.holes } = r);
        tick();
      });
    const startFiles = (t: (typeof fileTasks)[number]) => run(t.task, t.plan.source).then((r) => {
      if (r.kind === 'files') r.results.forEach((res, i) => (t.plans[i]!.result = res));
      tick();
    });
    if (pool) {
      // Biggest first, so that no worker is left with a large source at the end.
      for (const p of [...wholeTasks].sort((a, b) => b.bytes - a.bytes)) work.push(startWhole(p));
      for (const t of fileTasks) work.push(startFiles(t));
      // Each worker ends, and its heap with it, as soon as the queue has nothing left for it.
      pool.closeWhenIdle();
    }
    // Connectors that read ATT&CK run here, meanwhile.
    for (const p of plans) {
      if (p.kind !== 'whole' || !p.source.usesAttack) continue;
      reader.wholeKey(p, attackKey);
      if (p.cached) continue;
      p.items = await loadItems(p.source, { dataDir: opts.dataDir, provenance: p.template, limits: opts.limits, attack });
      p.holes = findHoles(p.items, p.part.next.nonce);
    }
    if (!pool) {
      for (const p of wholeTasks) await startWhole(p);
      for (const t of fileTasks) await startFiles(t);
    }
    await Promise.all(work);
    // Idle workers still hold their heaps: gone before the records are gathered and written.
    await pool?.close();

    opts.progress.update('Gathering records');
    const sources: SourceRead[] = [];
    const skipped: string[] = [];
    for (const p of plans) {
      if (p.kind === 'absent') {
        skipped.push(p.source.name);
        sources.push({ source: p.source, loaded: false, records: [], warnings: [] });
        continue;
      }
      const collected = await reader.assemble(p, attack);
      sources.push({ source: p.source, loaded: true, ...collected });
    }
    reader.save();
    return { attack, attackWarnings, sources, skipped, cache: reader.report, workers: pool?.size ?? 0 };
  } finally {
    await pool?.close();
  }
}
