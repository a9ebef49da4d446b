// Helper of golden-export.sh. `golden-dump.mjs DB OUT`: writes OUT/resources.ndjson (every
// resource row with its mappings, sorted) and OUT/warnings.tsv (warnings per source and file,
// counted: wording may change in a refactor, what is warned about may not) and
// OUT/warnings-full.tsv (for a look, not compared). `golden-dump.mjs --normalize FILE`: prints
// FILE with the fields a refactor adds on purpose and the volatile ones dropped.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire(import.meta.url);
/** Added on purpose by the connector-kit refactor (typed facets, rule logic). */
const ADDED = new Set(['facets', 'logic']);
/** Differ from build to build whatever the code. */
const VOLATILE = new Set(['builtAt', 'built', 'buildTime', 'dbPath', 'db', 'path', 'buildSeconds', 'durationMs', 'elapsedMs', 'generated', 'generatedAt']);

function strip(v) {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (!ADDED.has(k) && !VOLATILE.has(k)) out[k] = strip(x);
    return out;
  }
  return v;
}

function normalize(file) {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.tsv')) return text;
  if (file.endsWith('.ndjson')) return text.split('\n').filter(Boolean).map((l) => JSON.stringify(strip(JSON.parse(l)))).join('\n') + '\n';
  return JSON.stringify(strip(JSON.parse(text)), null, 1) + '\n';
}

function dump(dbPath, out) {
  const Database = require('better-sqlite3');
  const db = new Database(dbPath, { readonly: true });
  const maps = db.prepare('SELECT * FROM mappings WHERE resource = ? ORDER BY technique, raw_id').raw();
  const cols = db.prepare('SELECT * FROM resources LIMIT 0').columns().map((c) => c.name).filter((c) => !ADDED.has(c) && c !== 'id');
  const lines = [];
  for (const r of db.prepare('SELECT * FROM resources ORDER BY source, key').iterate()) {
    const row = {};
    for (const c of cols) row[c] = c === 'meta' && r.meta ? JSON.parse(r.meta) : r[c];
    // Row ids follow load order, which a refactor may keep or not: mappings are compared by content.
    row.mappings = maps.all(r.id).map((m) => m.slice(1));
    lines.push(JSON.stringify(row));
  }
  writeFileSync(`${out}/resources.ndjson`, lines.join('\n') + '\n');
  const w = db.prepare('SELECT source, file, count(*) AS n FROM warnings GROUP BY source, file ORDER BY source, file').all();
  writeFileSync(`${out}/warnings.tsv`, w.map((x) => `${x.source}\t${x.file}\t${x.n}`).join('\n') + '\n');
  const full = db.prepare('SELECT source, file, reason FROM warnings ORDER BY source, file, reason').all();
  writeFileSync(`${out}/warnings-full.tsv`, full.map((x) => `${x.source}\t${x.file}\t${x.reason}`).join('\n') + '\n');
}

if (process.argv[2] === '--normalize') process.stdout.write(normalize(process.argv[3]));
else dump(process.argv[2], process.argv[3]);
