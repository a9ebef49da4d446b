/**
 * purplebook.lock.json: each synced folder pinned to a commit (or ATT&CK version) and the sha256 of
 * what was downloaded, so a team rebuilds from the same bytes. `sync --update` moves the pins.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SyncInputError } from './config.js';

export const LOCK_FILE_NAME = 'purplebook.lock.json';

export interface LockEntry {
  repository: string;
  /** The branch, tag or commit asked for when the pin was made. */
  ref: string;
  /** Exact commit, when the archive told it. */
  commit?: string;
  /** sha256 of the archive (GitHub sources) or of the per-file digest list (ATT&CK). */
  sha256: string;
  /** ATT&CK release. */
  version?: string;
  /** ATT&CK: sha256 per downloaded file. */
  files?: Record<string, string>;
}

export interface LockFile {
  lockfileVersion: 1;
  /** Keyed by data folder. */
  sources: Record<string, LockEntry>;
}

export function emptyLock(): LockFile {
  return { lockfileVersion: 1, sources: {} };
}

function isStr(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function readLock(file: string): LockFile {
  if (!existsSync(file)) return emptyLock();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SyncInputError(`lock file ${file} is not valid JSON (${(e as Error).message})`);
  }
  const obj = raw as { lockfileVersion?: unknown; sources?: unknown };
  if (!obj || typeof obj !== 'object' || obj.lockfileVersion !== 1 || !obj.sources || typeof obj.sources !== 'object') {
    throw new SyncInputError(`lock file ${file} is not a purplebook lock (lockfileVersion 1)`);
  }
  const lock = emptyLock();
  for (const [folder, v] of Object.entries(obj.sources as Record<string, unknown>)) {
    const e = v as Partial<LockEntry>;
    if (!e || typeof e !== 'object' || !isStr(e.repository) || !isStr(e.ref) || !isStr(e.sha256) || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new SyncInputError(`lock file ${file}: entry "${folder}" needs repository, ref and a sha256`);
    }
    if (e.commit !== undefined && !(isStr(e.commit) && /^[0-9a-f]{40,64}$/.test(e.commit))) throw new SyncInputError(`lock file ${file}: entry "${folder}" has a bad commit`);
    lock.sources[folder] = {
      repository: e.repository, ref: e.ref, sha256: e.sha256,
      ...(e.commit ? { commit: e.commit } : {}),
      ...(isStr(e.version) ? { version: e.version } : {}),
      ...(e.files && typeof e.files === 'object' ? { files: Object.fromEntries(Object.entries(e.files).filter(([, s]) => isStr(s))) } : {}),
    };
  }
  return lock;
}

/** Sorted keys so the file diffs cleanly in a team's repository; written by rename. */
export function writeLock(file: string, lock: LockFile): void {
  const sources: Record<string, LockEntry> = {};
  for (const k of Object.keys(lock.sources).sort()) sources[k] = lock.sources[k]!;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ lockfileVersion: 1, sources }, null, 2)}\n`);
  renameSync(tmp, file);
}
