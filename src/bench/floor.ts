/**
 * The parse floor: read and parse every file the loaded sources read, with the same parsers and
 * nothing else. `build` cannot be faster than this on the same machine, so it is the baseline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'n3';
import { walkFiles } from '../sources/lib/files.js';
import { parseJson, parseToml, parseYamlDocuments } from '../sources/lib/parse.js';
import { ALL_SOURCES } from '../sources/registry.js';
import { DEFAULT_LIMITS } from '../core/types.js';

const PARSERS: Record<string, (text: string) => unknown> = {
  yml: (t) => parseYamlDocuments(t, DEFAULT_LIMITS),
  yaml: (t) => parseYamlDocuments(t, DEFAULT_LIMITS),
  toml: (t) => parseToml(t, DEFAULT_LIMITS),
  json: (t) => (t.trimStart().startsWith('{"index"') || t.trimStart().startsWith('{ "index"')
    ? t.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) // Elasticsearch bulk NDJSON
    : parseJson(t, DEFAULT_LIMITS)),
  ttl: (t) => new Parser({ format: 'text/turtle' }).parse(t),
  conf: (t) => t.split('\n').length,
  py: (t) => t.split('\n').length,
};

export interface FloorResult {
  perFolder: Record<string, { files: number; bytes: number; ms: number }>;
  totalMs: number;
  files: number;
  bytes: number;
}

/** Folders read by the registry's sources (several sources may share one: each is parsed once). */
export function parseFloor(dataDir: string): FloorResult {
  const folders = [...new Set(ALL_SOURCES.map((s) => s.folder))].sort();
  const perFolder: FloorResult['perFolder'] = {};
  let files = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (const folder of folders) {
    const start = performance.now();
    const list = walkFiles(join(dataDir, folder), (name) => PARSERS[name.split('.').pop() ?? ''] !== undefined);
    let b = 0;
    for (const rel of list) {
      const buf = readFileSync(join(dataDir, folder, rel));
      b += buf.length;
      try {
        PARSERS[rel.split('.').pop()!]!(buf.toString('utf8'));
      } catch {
        // Malformed upstream files cost their parse attempt, like in the build.
      }
    }
    perFolder[folder] = { files: list.length, bytes: b, ms: performance.now() - start };
    files += list.length;
    bytes += b;
  }
  return { perFolder, totalMs: performance.now() - t0, files, bytes };
}
