/** Provenance per source folder: MANIFEST.json when the data folder has one, else file dates. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Provenance } from '../core/types.js';

interface ManifestEntry {
  folder?: string;
  repository?: string;
  branch?: string | null;
  ref?: string | null;
  commit?: string;
  commit_date?: string;
  accessed?: string;
  version?: string;
}

export type ManifestIndex = Map<string, ManifestEntry>;

export function readManifest(dataDir: string, warn: (reason: string) => void): ManifestIndex {
  const file = join(dataDir, 'MANIFEST.json');
  const out: ManifestIndex = new Map();
  if (!existsSync(file)) return out;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as { sources?: ManifestEntry[] };
    for (const e of Array.isArray(m.sources) ? m.sources : []) {
      if (e && typeof e.folder === 'string') out.set(e.folder.replace(/\/+$/, ''), e);
    }
  } catch (e) {
    warn(`MANIFEST.json is not valid JSON (${(e as Error).message}): using file dates`);
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

export function provenanceFor(manifest: ManifestIndex, dataDir: string, folder: string): Provenance {
  const e = manifest.get(folder);
  if (e) {
    return {
      repository: str(e.repository), branch: str(e.branch) ?? str(e.ref), commit: str(e.commit), commitDate: str(e.commit_date),
      accessed: str(e.accessed)?.slice(0, 10), accessedFrom: 'manifest', version: str(e.version),
    };
  }
  const dir = join(dataDir, folder);
  if (!existsSync(dir)) return { accessedFrom: 'unknown' };
  return { accessed: statSync(dir).mtime.toISOString().slice(0, 10), accessedFrom: 'file-dates' };
}
