/**
 * One benchmark measurement per process (so one cannot warm or pollute another's heap):
 * `node dist/bench/measure.js <name> <dataDir> <dbPath>` prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildSummary } from '../kb/build.js';
import { KnowledgeBase } from '../kb/open.js';
import { measureD3fend } from './d3fend.js';
import { parseFloor } from './floor.js';
import { measureMcp } from './mcp.js';
import { measureHostile } from './hostile.js';
import { prepareRebuild } from './rebuild.js';
import { SEARCH_QUERIES, WARMUP_QUERIES } from './queries.js';
import { searchKb } from '../search/index.js';
import { REPO_ROOT } from '../util/paths.js';
import { measureServe } from './serve.js';
import { measureShow } from './show.js';
import { measureSite } from './site.js';
import { maxRssMb, percentile, timeEach } from './stats.js';
import { measureWeights } from './weights.js';
import { measureYaml } from './yaml.js';

type Measure = (dataDir: string, dbPath: string) => Promise<object> | object;

export const MEASURES: Record<string, Measure> = {
  floor: (dataDir) => {
    const r = parseFloor(dataDir);
    return { ms: r.totalMs, files: r.files, bytes: r.bytes, perFolder: r.perFolder, rssMb: maxRssMb() };
  },
  // A first build: nothing cached yet, the pool sized to the CPUs.
  build: (dataDir, dbPath) => timedBuild(dataDir, dbPath),
  'build-one-thread': (dataDir, dbPath) => timedBuild(dataDir, `${dbPath}.one-thread.db`, '--jobs', '1'),
  'rebuild-prepare': (dataDir, dbPath) => prepareRebuild(dataDir, dbPath),
  // dataDir and dbPath are those rebuild-prepare made.
  rebuild: (dataDir, dbPath) => timedBuild(dataDir, dbPath),
  yaml: (dataDir) => measureYaml(dataDir),
  d3fend: (dataDir) => measureD3fend(dataDir),
  'show-markdown': (_dataDir, dbPath) => measureShow(dbPath, 'markdown'),
  'show-json': (_dataDir, dbPath) => measureShow(dbPath, 'json'),
  search: (_dataDir, dbPath) => {
    const kb = KnowledgeBase.open(dbPath);
    // The ranking the CLI and the API answer with (search/index.ts); the warm-up builds the index and warms the JIT.
    for (let pass = 0; pass < 2; pass++) for (const q of WARMUP_QUERIES) searchKb(kb, { query: q, limit: 20 });
    const r = timeEach(SEARCH_QUERIES, (q) => searchKb(kb, { query: q, limit: 20 }));
    kb.close();
    return { queries: SEARCH_QUERIES.length, p50Ms: percentile(r.sorted, 50), p99Ms: percentile(r.sorted, 99), maxMs: r.sorted[r.sorted.length - 1] };
  },
  'site-strings': (_dataDir, dbPath) => measureSite(dbPath, 'strings'),
  site: (_dataDir, dbPath) => measureSite(dbPath, 'write'),
  serve: (_dataDir, dbPath) => measureServe(dbPath),
  mcp: (_dataDir, dbPath) => measureMcp(dbPath),
  weights: (_dataDir, dbPath) => measureWeights(dbPath),
  'serve-hostile': (_dataDir, dbPath) => measureHostile(dbPath),
};

/**
 * `purplebook build` as a user runs it, in a process of its own: wall time from start to exit (Node
 * and the CLI starting included), peak RSS and CPU of that whole process (usage-at-exit.ts), and
 * `buildMs`, the build's own time as its summary states it.
 */
function timedBuild(dataDir: string, dbPath: string, ...args: string[]): object {
  const usageFile = `${dbPath}.usage.json`;
  const preload = pathToFileURL(join(REPO_ROOT, 'dist', 'bench', 'usage-at-exit.js')).href;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', preload, join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'build', '--data', dataDir, '--db', dbPath, '--json', ...args], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PURPLEBOOK_BENCH_USAGE: usageFile },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`purplebook build exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  const s = JSON.parse(r.stdout) as BuildSummary;
  const usage = JSON.parse(readFileSync(usageFile, 'utf8')) as { rssMb: number; cpuMs: number };
  rmSync(usageFile);
  return {
    ms, cpuMs: usage.cpuMs, rssMb: usage.rssMb, buildMs: s.seconds * 1000, warnings: s.warnings, sources: s.sources.filter((x) => x.loaded).length,
    workers: s.workers, cache: s.cache, phases: s.phases,
  };
}

export function scratchDb(): { dbPath: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'purplebook-bench-'));
  return { dbPath: join(dir, 'bench.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const [name, dataDir, dbPath] = process.argv.slice(2);
if (name && dataDir && dbPath && process.argv[1]?.endsWith('measure.js')) {
  const m = MEASURES[name];
  if (!m) {
    process.stderr.write(`unknown measurement ${name}\n`);
    process.exit(2);
  }
  Promise.resolve(m(dataDir, dbPath)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`measurement ${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
