/** Leftovers of interrupted builds beside the knowledge base. */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** True while the process exists (also when it belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Temp files (`<db>.tmp-<pid>-<time>`, with SQLite's `-journal`) left by builds that were killed
 * before their rename: they never replace the knowledge base, but each is as large as one. Only
 * those whose process is gone are removed, so a build running beside this one keeps its files.
 */
export function removeStaleTempFiles(dbPath: string): string[] {
  const dir = dirname(dbPath);
  if (!existsSync(dir)) return [];
  const pattern = new RegExp(`^${basename(dbPath).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-\\d+(?:-journal|-wal|-shm)?$`);
  const removed: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const pid = pattern.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
