/**
 * Which data folder `sync` and `status` use, chosen one way for both and named in what they print:
 * --dir, then the config's "dir", then $PURPLEBOOK_DATA, then the synced cache. A command that
 * only reads (`status`, `sync --offline`) falls back, like `build`, to the checkout's
 * ../shared/data when nothing was ever synced; `sync` that downloads always writes the cache.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sharedDataDir, syncedDataDir } from '../util/paths.js';

export interface DataDirChoice {
  dir: string;
  /** Why this folder: "--dir", "the config's \"dir\"", "$PURPLEBOOK_DATA", "the synced cache", "the checkout's data (nothing synced)". */
  why: string;
}

export function chooseDataDir(opts: { explicit?: string; configDir?: string; readOnly: boolean }): DataDirChoice {
  if (opts.explicit) return { dir: resolve(opts.explicit), why: '--dir' };
  if (opts.configDir) return { dir: resolve(opts.configDir), why: 'the config\'s "dir"' };
  if (process.env.PURPLEBOOK_DATA) return { dir: resolve(process.env.PURPLEBOOK_DATA), why: '$PURPLEBOOK_DATA' };
  const synced = syncedDataDir();
  if (!opts.readOnly || existsSync(join(synced, 'MANIFEST.json'))) return { dir: synced, why: 'the synced cache' };
  const shared = sharedDataDir();
  if (existsSync(shared)) return { dir: shared, why: 'the checkout\'s ../shared/data, nothing synced yet' };
  return { dir: synced, why: 'the synced cache' };
}
