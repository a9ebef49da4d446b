/** Default locations: the data folder and the knowledge-base file. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root (the folder holding package.json), from this module's location in src/ or dist/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Per-user data home: $XDG_DATA_HOME/purplebook or ~/.local/share/purplebook. */
export function userDataHome(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'purplebook');
}

/** The synced cache that `sync` writes and `build` reads by default. */
export function syncedDataDir(): string {
  return join(userDataHome(), 'data');
}

/** The snapshot shipped beside a checkout, used when nothing was synced. */
export function sharedDataDir(): string {
  return resolve(REPO_ROOT, '..', 'shared', 'data');
}

/** --data, then $PURPLEBOOK_DATA, then the synced cache, then ../shared/data of a checkout. */
export function defaultDataDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.PURPLEBOOK_DATA) return resolve(process.env.PURPLEBOOK_DATA);
  const synced = syncedDataDir();
  if (existsSync(join(synced, 'MANIFEST.json'))) return synced;
  return sharedDataDir();
}

/** --db, then $PURPLEBOOK_DB, then the per-user data file. */
export function defaultDbPath(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.PURPLEBOOK_DB) return resolve(process.env.PURPLEBOOK_DB);
  return join(userDataHome(), 'purplebook.db');
}
