/**
 * Static site generation, timed twice in separate processes: writing to a temporary folder, and the
 * very same `writeSite` with file-system writes turned into no-ops, so it renders every page to a
 * string and stops there. Same code path, so their ratio is the cost of writing.
 */
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnowledgeBase } from '../kb/open.js';
import { writeSite } from '../site/generate.js';
import { maxRssMb } from './stats.js';

export type SiteMode = 'write' | 'strings';

export interface SiteResult {
  mode: SiteMode;
  ms: number;
  files: number;
  bytes: number;
  techniquePages: number;
  rssMb: number;
}

/**
 * For the rest of this process, the writes writeSite makes do nothing. `node:fs` named imports are
 * live bindings that syncBuiltinESMExports re-points at the patched functions.
 */
function discardWrites(): void {
  const noop = () => undefined;
  Object.assign(fs, { mkdirSync: noop, writeFileSync: noop, renameSync: noop, rmSync: noop });
  syncBuiltinESMExports();
}

export function measureSite(dbPath: string, mode: SiteMode): SiteResult {
  const kb = KnowledgeBase.open(dbPath);
  // With writes discarded nothing is created, so the folder is only a name that does not exist.
  const dir = mode === 'write' ? mkdtempSync(join(tmpdir(), 'purplebook-bench-site-')) : join(tmpdir(), `purplebook-bench-nowrite-${process.pid}`);
  try {
    if (mode === 'strings') discardWrites();
    const t0 = performance.now();
    const s = writeSite({ kb, outDir: join(dir, 'site'), quiet: true });
    const ms = performance.now() - t0;
    return { mode, ms, files: s.files, bytes: s.bytes, techniquePages: s.techniquePages, rssMb: maxRssMb() };
  } finally {
    kb.close();
    if (mode === 'write') rmSync(dir, { recursive: true, force: true });
  }
}
