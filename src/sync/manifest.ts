/** MANIFEST.json of a data folder, in the shape of ../shared/data/MANIFEST.json; merged per folder. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ManifestEntry {
  /** With a trailing slash, like the shared snapshot: `sigma/`. */
  folder: string;
  repository: string;
  /** Branch, tag or commit asked for. */
  branch?: string;
  /** What was fetched: the pinned commit, or the branch/tag. */
  ref?: string;
  commit?: string;
  commit_date?: string;
  /** YYYY-MM-DD */
  accessed: string;
  license?: string;
  /** Purplebook sources that read this folder. */
  used_by?: string[];
  paths_copied?: string[];
  url?: string;
  sha256: string;
  /** ATT&CK: each bundle by its path in the upstream repository. */
  downloads?: { path: string; sha256: string; bytes: number }[];
  file_count: number;
  bytes: number;
  files: string[];
  version?: string;
  [key: string]: unknown;
}

export interface Manifest {
  generated_note?: string;
  sources: ManifestEntry[];
  total_files?: number;
  total_bytes?: number;
  [key: string]: unknown;
}

export const MANIFEST_FILE = 'MANIFEST.json';

export function folderKey(folder: string): string {
  return folder.replace(/\/+$/, '');
}

/** The current manifest, or an empty one when missing or unreadable (sync then rewrites it). */
export function readDataManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return { sources: [] };
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    if (m && typeof m === 'object' && Array.isArray(m.sources)) {
      return { ...m, sources: m.sources.filter((e) => e && typeof e === 'object' && typeof e.folder === 'string') };
    }
  } catch {
    // fall through: an unreadable manifest is replaced by what this sync knows
  }
  return { sources: [] };
}

export function findEntry(m: Manifest, folder: string): ManifestEntry | undefined {
  return m.sources.find((e) => folderKey(e.folder) === folderKey(folder));
}

/** Replace (or append) one folder's entry and write the manifest by rename. */
export function upsertManifestEntry(dir: string, entry: ManifestEntry): Manifest {
  const m = readDataManifest(dir);
  const i = m.sources.findIndex((e) => folderKey(e.folder) === folderKey(entry.folder));
  if (i >= 0) m.sources[i] = entry;
  else m.sources.push(entry);
  m.generated_note ??= 'Written by `purplebook sync`: upstream files in their original formats. "accessed" is the date of the download (UTC).';
  m.total_files = m.sources.reduce((n, e) => n + (typeof e.file_count === 'number' ? e.file_count : 0), 0);
  m.total_bytes = m.sources.reduce((n, e) => n + (typeof e.bytes === 'number' ? e.bytes : 0), 0);
  const { generated_note, sources, total_files, total_bytes, ...rest } = m;
  const ordered = { generated_note, ...rest, sources, total_files, total_bytes };
  const file = join(dir, MANIFEST_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ordered, null, 1)}\n`);
  renameSync(tmp, file);
  return m;
}
