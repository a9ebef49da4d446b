/**
 * One unit of reading work, the same in a worker thread and in the main thread: a batch of files
 * of a per-file connector (each hashed, and read unless its bytes are the cached ones), a whole
 * folder source, or ATT&CK. Tasks and results are plain structured-clone data.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAttack } from '../attack/load.js';
import type { AttackWarning } from '../attack/types.js';
import type { AttackIndex } from '../attack/types.js';
import { loadItems, readFileItems, type PerFileSource, type ReadItem } from '../sources/collect.js';
import type { Limits, Provenance } from '../core/types.js';
import type { Source } from '../sources/types.js';
import { findHoles, sameStat, stampFile, type FileStamp, type Holes } from './parse-cache.js';

export interface TaskSetup {
  dataDir: string;
  limits: Limits;
}

export interface FileTask {
  file: string;
  /** The cached stamp, if any: kept when the file's size and times still match it. */
  stamp?: FileStamp;
  /** The sha256 of the bytes the cached items were read from: equal bytes are not read again. */
  expect?: string;
}

/** `provenance` holds the placeholders of the cache part's `nonce` (parse-cache.ts). */
export type Task =
  | { kind: 'files'; source: string; provenance: Provenance; nonce: string; files: FileTask[] }
  | { kind: 'source'; source: string; provenance: Provenance; nonce: string }
  | { kind: 'attack' };

export interface FileResult {
  file: string;
  /** Undefined when the file could not be hashed or changed while read: not cached. */
  stamp?: FileStamp;
  /** Undefined when the bytes are those of `expect`: the cached items stand. */
  items?: ReadItem[];
  /** Where the placeholders are in `items`; undefined when one was cut (read again with the real provenance). */
  holes?: Holes;
}

export type TaskResult =
  | { kind: 'files'; results: FileResult[] }
  | { kind: 'source'; items: ReadItem[]; holes?: Holes }
  | { kind: 'attack'; index: AttackIndex; warnings: AttackWarning[] };

function readOne(source: PerFileSource, setup: TaskSetup, task: Extract<Task, { kind: 'files' }>, t: FileTask): FileResult {
  const full = join(setup.dataDir, t.file);
  let stamp = stampFile(full, t.stamp, setup.limits.maxFileBytes);
  if (stamp && t.expect !== undefined && stamp.sha256 === t.expect) return { file: t.file, stamp };
  const items = readFileItems(source, { dataDir: setup.dataDir, provenance: task.provenance, limits: setup.limits }, t.file);
  try {
    // Written to while it was read: what was read may not be what was hashed.
    if (stamp && !sameStat(stamp, statSync(full))) stamp = undefined;
  } catch {
    stamp = undefined;
  }
  return { file: t.file, stamp, items, holes: findHoles(items, task.nonce) };
}

/** `source` is the task's source (none for ATT&CK). */
export async function runTask(task: Task, setup: TaskSetup, source?: Source): Promise<TaskResult> {
  if (task.kind === 'attack') {
    const warnings: AttackWarning[] = [];
    const index = loadAttack(setup.dataDir, (w) => warnings.push(w), setup.limits);
    return { kind: 'attack', index, warnings };
  }
  if (!source) throw new Error(`unknown source ${task.source}`);
  if (task.kind === 'files') {
    if (!source.perFile) throw new Error(`${source.name} does not read file by file`);
    return { kind: 'files', results: task.files.map((t) => readOne(source, setup, task, t)) };
  }
  const items = await loadItems(source, { dataDir: setup.dataDir, provenance: task.provenance, limits: setup.limits });
  return { kind: 'source', items, holes: findHoles(items, task.nonce) };
}
