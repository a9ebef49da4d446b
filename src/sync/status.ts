/** `purplebook status`: what a data folder holds, from its MANIFEST.json (else folder dates), and how old. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { folderKey, readDataManifest } from './manifest.js';
import { ageInDays } from './sync.js';

export const STALE_DAYS = 30;

export interface StatusRow {
  folder: string;
  repository?: string;
  commit?: string;
  version?: string;
  /** YYYY-MM-DD */
  accessed?: string;
  accessedFrom: 'manifest' | 'file-dates';
  ageDays?: number;
  stale: boolean;
  present: boolean;
  fileCount?: number;
}

export interface DataStatus {
  dir: string;
  exists: boolean;
  hasManifest: boolean;
  rows: StatusRow[];
  staleDays: number;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

export function dataStatus(dirIn: string, now = new Date(), staleDays = STALE_DAYS): DataStatus {
  const dir = resolve(dirIn);
  if (!existsSync(dir)) return { dir, exists: false, hasManifest: false, rows: [], staleDays };
  const hasManifest = existsSync(join(dir, 'MANIFEST.json'));
  const manifest = readDataManifest(dir);
  const rows: StatusRow[] = [];
  const seen = new Set<string>();
  for (const e of manifest.sources) {
    const folder = folderKey(e.folder);
    seen.add(folder);
    const accessed = str(e.accessed)?.slice(0, 10);
    const ageDays = accessed && /^\d{4}-\d{2}-\d{2}$/.test(accessed) ? ageInDays(accessed, now) : undefined;
    rows.push({
      folder, repository: str(e.repository), commit: str(e.commit), version: str(e.version), accessed, accessedFrom: 'manifest', ageDays,
      stale: ageDays === undefined || ageDays > staleDays, present: existsSync(join(dir, folder)),
      fileCount: typeof e.file_count === 'number' ? e.file_count : undefined,
    });
  }
  // Folders copied by hand (no manifest entry): dated by their modification time.
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || seen.has(name)) continue;
    const full = join(dir, name);
    if (!statSync(full).isDirectory()) continue;
    const accessed = statSync(full).mtime.toISOString().slice(0, 10);
    const ageDays = ageInDays(accessed, now);
    rows.push({ folder: name, accessed, accessedFrom: 'file-dates', ageDays, stale: ageDays > staleDays, present: true });
  }
  rows.sort((a, b) => a.folder.localeCompare(b.folder));
  return { dir, exists: true, hasManifest, rows, staleDays };
}

/** Plain-text table plus a warning line per stale or missing folder. */
export function formatStatus(s: DataStatus): string {
  if (!s.exists) return `no data folder at ${s.dir} (run \`purplebook sync\`)\n`;
  if (!s.rows.length) return `${s.dir} holds no source folders (run \`purplebook sync\`)\n`;
  const lines = [`data folder: ${s.dir}${s.hasManifest ? '' : ' (no MANIFEST.json: dates are folder modification times)'}`];
  const w = Math.max(6, ...s.rows.map((r) => r.folder.length));
  lines.push(`${'folder'.padEnd(w)}  ${'commit / version'.padEnd(16)}  accessed    age`);
  for (const r of s.rows) {
    const id = r.commit ? r.commit.slice(0, 12) : r.version ? `ATT&CK ${r.version}` : '-';
    const age = r.ageDays === undefined ? '?' : `${r.ageDays} d`;
    lines.push(`${r.folder.padEnd(w)}  ${id.padEnd(16)}  ${(r.accessed ?? '?').padEnd(10)}  ${age}${r.present ? '' : '  (folder missing)'}`);
  }
  for (const r of s.rows) {
    if (!r.present) lines.push(`warning: ${r.folder} is in MANIFEST.json but its folder is missing`);
    else if (r.stale) lines.push(`warning: ${r.folder} is ${r.ageDays === undefined ? 'of unknown age' : `${r.ageDays} days old`} (older than ${s.staleDays} days): run \`purplebook sync\``);
  }
  return `${lines.join('\n')}\n`;
}
