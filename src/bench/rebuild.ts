/**
 * The rebuild after a sync that changed ten rule files. The shared data is read-only, so the
 * bench builds from a folder of links to it in which the Sigma and Splunk folders are copies;
 * once a full build has filled the parse cache, five Sigma rules and five Splunk detections
 * (spread over each corpus) get a line appended, and the next build is timed in a process of its
 * own, like a `purplebook build` after `purplebook sync`.
 */
import { appendFileSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildKnowledgeBase } from '../kb/build.js';
import { walkFiles } from '../sources/lib/files.js';

/** Folders copied (the rest are links), and the rule files changed in each. */
const CHANGED: { folder: string; accept: RegExp; count: number }[] = [
  { folder: 'sigma', accept: /^rules\/.*\.yml$/, count: 5 },
  { folder: 'splunk', accept: /^detections\/.*\.yml$/, count: 5 },
];
/** Longer than the parse cache waits before it trusts a file's stamp (parse-cache.ts). */
const SETTLE_MS = 3500;

export interface RebuildSetup {
  dataDir: string;
  dbPath: string;
  changed: string[];
}

/** `count` files spread evenly over the sorted list. */
function spread(files: string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => files[Math.floor((i * files.length) / count)]!);
}

export async function prepareRebuild(sharedData: string, scratchDbPath: string): Promise<RebuildSetup> {
  const root = join(dirname(scratchDbPath), 'rebuild');
  const dataDir = join(root, 'data');
  const dbPath = join(root, 'kb.db');
  mkdirSync(dataDir, { recursive: true });
  const copied = new Set(CHANGED.map((c) => c.folder));
  for (const name of readdirSync(sharedData)) {
    if (copied.has(name)) cpSync(join(sharedData, name), join(dataDir, name), { recursive: true });
    else symlinkSync(join(sharedData, name), join(dataDir, name));
  }
  // Files synced a while ago, as they would be: the cache trusts their stamps without reading them.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  await buildKnowledgeBase({ dataDir, dbPath, quiet: true });
  const changed = CHANGED.flatMap(({ folder, accept, count }) =>
    spread(walkFiles(join(dataDir, folder), (_n, rel) => accept.test(rel)), count).map((rel) => `${folder}/${rel}`));
  for (const f of changed) appendFileSync(join(dataDir, f), '\n# changed by the bench\n');
  return { dataDir, dbPath, changed };
}
