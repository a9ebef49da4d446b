/**
 * Runs one connector against a data folder and gathers its records and warnings (build and tests
 * share it). Reading is split from gathering so the build can cache what a file or a source gave
 * and read it in another thread: `readFileItems` and `loadItems` give plain, cloneable items in
 * the order they happened, `replayItems` turns them into records and warnings the same way every
 * time, wherever and whenever they were read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AttackIndex } from '../attack/types.js';
import type { Limits, LoadContext, PerFileReader, Provenance, ResourceRecord, Source } from './types.js';
import { DEFAULT_LIMITS } from './types.js';
import { normalizeTechniqueId } from '../resolve.js';

export interface SourceWarning {
  source: string;
  file: string;
  reason: string;
}

export interface Collected {
  records: ResourceRecord[];
  warnings: SourceWarning[];
  /** What per-file readers noted for their `finish`. */
  notes?: unknown[];
}

/** A record, a warning (file, reason) or a note for `finish`, in the order the connector gave them. */
export type ReadItem = ResourceRecord | [file: string, reason: string] | [note: unknown];

export type PerFileSource = Source & { perFile: PerFileReader };

export interface ReadOptions {
  dataDir: string;
  provenance?: Provenance;
  limits?: Partial<Limits>;
  /** Only for connectors that declare `usesAttack`; the others get a context whose `attack` throws. */
  attack?: AttackIndex;
}

export function sourcePresent(source: Source, dataDir: string): boolean {
  return source.present ? source.present(dataDir) : existsSync(join(dataDir, source.folder));
}

export function isPerFile(source: Source): source is PerFileSource {
  return source.perFile !== undefined;
}

/** The connector's context; `warn` appends to `items`. */
export function loadContext(source: Source, opts: ReadOptions, items: ReadItem[] = []): LoadContext {
  const ctx = {
    dataDir: opts.dataDir,
    dir: join(opts.dataDir, source.folder),
    provenance: opts.provenance ?? { accessedFrom: 'unknown' as const },
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    warn: (file: string, reason: string) => {
      items.push([file, reason]);
    },
    note: (value: unknown) => {
      items.push([value]);
    },
  } as LoadContext;
  const { attack } = opts;
  Object.defineProperty(ctx, 'attack', {
    enumerable: true,
    get(): AttackIndex {
      // A connector that reads ATT&CK without saying so would be cached and run in a worker wrongly.
      if (!source.usesAttack || !attack) throw new Error(`${source.name} reads ATT&CK: its connector must declare usesAttack`);
      return attack;
    },
  });
  return ctx;
}

function failed(file: string, e: unknown): ReadItem {
  // A connector bug must not take the whole build down: report it against what was being read.
  return [file, `connector failed: ${(e as Error)?.message ?? String(e)}`];
}

/** What one file gives a per-file connector. */
export function readFileItems(source: PerFileSource, opts: ReadOptions, file: string): ReadItem[] {
  const items: ReadItem[] = [];
  const ctx = loadContext(source, opts, items);
  try {
    for (const r of source.perFile.read(ctx, file)) items.push(r);
  } catch (e) {
    items.push(failed(file, e));
  }
  return items;
}

/** What a whole-folder connector gives; the records read before a connector failure are kept. */
export async function loadItems(source: Source, opts: ReadOptions): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  const ctx = loadContext(source, opts, items);
  try {
    if (source.perFile) {
      for (const file of source.perFile.files(ctx)) items.push(...readFileItems(source, opts, file));
    } else {
      for await (const r of source.load(ctx)) items.push(r);
    }
  } catch (e) {
    items.push(failed(source.folder, e));
  }
  return items;
}

/** The files a per-file connector reads; a failure to list them is reported like a connector failure. */
export function listFiles(source: PerFileSource, opts: ReadOptions): { files: string[]; items: ReadItem[] } {
  const items: ReadItem[] = [];
  try {
    return { files: source.perFile.files(loadContext(source, opts, items)), items };
  } catch (e) {
    return { files: [], items: [...items, failed(source.folder, e)] };
  }
}

/**
 * Appends items to `out` as records and warnings, checking each record's technique ids: spaced
 * ids are reported, a repeated reference is dropped and more than `maxTechniquesPerResource`
 * are cut, here for every connector (connectors pass references on as the upstream writes them).
 */
export function replayItems(source: Source, items: readonly ReadItem[], out: Collected, limits: Pick<Limits, 'maxTechniquesPerResource'> = DEFAULT_LIMITS): void {
  const warn = (file: string, reason: string) => out.warnings.push({ source: source.name, file, reason });
  for (const item of items) {
    if (Array.isArray(item)) {
      if (item.length === 1) (out.notes ??= []).push(item[0]);
      else warn(item[0], item[1]);
      continue;
    }
    warnSpacedIds(item, warn);
    capTechniques(item, limits.maxTechniquesPerResource, warn);
    out.records.push(item);
  }
}

/**
 * A reference repeated (same id as written, case aside, same relation, note and ATT&CK version)
 * is dropped: it would say nothing new. Then at most `max` are kept, with a warning. The record
 * gets a new list: the one it holds may be shared with the parse cache.
 */
function capTechniques(r: ResourceRecord, max: number, warn: (file: string, reason: string) => void): void {
  const seen = new Set<string>();
  const refs = r.techniques.filter((t) => {
    const key = JSON.stringify([typeof t.id === 'string' ? t.id.trim().toUpperCase() : String(t.id), t.relation, t.note, t.attackVersion]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (refs.length > max) warn(r.file ?? r.key, `${refs.length} technique references, over the limit of ${max}: the first ${max} kept`);
  if (refs.length !== r.techniques.length || refs.length > max) r.techniques = refs.slice(0, max);
}

/** The cross-file step of a per-file connector, on everything it read (in load order). */
export function finishSource(source: Source, opts: ReadOptions, out: Collected): void {
  const finish = source.perFile?.finish;
  if (!finish) {
    delete out.notes;
    return;
  }
  const items: ReadItem[] = [];
  try {
    finish(loadContext(source, opts, items), out.records, out.notes ?? []);
  } catch (e) {
    items.push(failed(source.folder, e));
  }
  replayItems(source, items, { records: [], warnings: out.warnings });
  delete out.notes;
}

export async function collectSource(
  source: Source,
  opts: { dataDir: string; attack: AttackIndex; provenance?: Provenance; limits?: Partial<Limits> },
): Promise<Collected> {
  const out: Collected = { records: [], warnings: [] };
  replayItems(source, await loadItems(source, opts), out, { ...DEFAULT_LIMITS, ...opts.limits });
  finishSource(source, opts, out);
  return out;
}

/**
 * `T1059 .001` is read as T1059.001 (resolve.ts drops inner whitespace), but a spelling no
 * upstream uses on purpose is reported once per record, naming the file and the id as written.
 */
function warnSpacedIds(r: ResourceRecord, warn: (file: string, reason: string) => void): void {
  const seen = new Set<string>();
  for (const t of r.techniques) {
    if (typeof t.id !== 'string' || !/\S\s+\S/.test(t.id) || seen.has(t.id)) continue;
    seen.add(t.id);
    warn(r.file ?? r.key, `technique id ${JSON.stringify(t.id)} has whitespace inside: read as ${normalizeTechniqueId(t.id)}`);
  }
}
