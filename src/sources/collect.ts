/** Runs one connector against a data folder and gathers its records and warnings (build and tests share it). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AttackIndex } from '../attack/types.js';
import type { Limits, Provenance, ResourceRecord, Source } from './types.js';
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
}

export function sourcePresent(source: Source, dataDir: string): boolean {
  return source.present ? source.present(dataDir) : existsSync(join(dataDir, source.folder));
}

export async function collectSource(
  source: Source,
  opts: { dataDir: string; attack: AttackIndex; provenance?: Provenance; limits?: Partial<Limits> },
): Promise<Collected> {
  const warnings: SourceWarning[] = [];
  const records: ResourceRecord[] = [];
  const ctx = {
    dataDir: opts.dataDir,
    dir: join(opts.dataDir, source.folder),
    provenance: opts.provenance ?? { accessedFrom: 'unknown' as const },
    attack: opts.attack,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    warn: (file: string, reason: string) => warnings.push({ source: source.name, file, reason }),
  };
  try {
    for await (const r of source.load(ctx)) {
      records.push(r);
      warnSpacedIds(r, ctx.warn);
    }
  } catch (e) {
    // A connector bug must not take the whole build down: report it against the source folder.
    warnings.push({ source: source.name, file: source.folder, reason: `connector failed: ${(e as Error).message}` });
  }
  return { records, warnings };
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
