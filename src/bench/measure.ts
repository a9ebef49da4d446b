/**
 * One benchmark measurement per process (so one cannot warm or pollute another's heap):
 * `node dist/bench/measure.js <name> <dataDir> <dbPath>` prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKnowledgeBase, type BuildOptions } from '../kb/build.js';
import { KnowledgeBase } from '../kb/open.js';
import { measureD3fend } from './d3fend.js';
import { parseFloor } from './floor.js';
import { measureMcp } from './mcp.js';
import { measureHostile } from './hostile.js';
import { prepareRebuild } from './rebuild.js';
import { SEARCH_QUERIES } from './queries.js';
import { searchKb } from '../search/index.js';
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
  build: (dataDir, dbPath) => timedBuild({ dataDir, dbPath }),
  'build-one-thread': (dataDir, dbPath) => timedBuild({ dataDir, dbPath: `${dbPath}.one-thread.db`, jobs: 1 }),
  'rebuild-prepare': (dataDir, dbPath) => prepareRebuild(dataDir, dbPath),
  // dataDir and dbPath are those rebuild-prepare made.
  rebuild: (dataDir, dbPath) => timedBuild({ dataDir, dbPath }),
  yaml: (dataDir) => measureYaml(dataDir),
  d3fend: (dataDir) => measureD3fend(dataDir),
  'show-markdown': (_dataDir, dbPath) => measureShow(dbPath, 'markdown'),
  'show-json': (_dataDir, dbPath) => measureShow(dbPath, 'json'),
  search: (_dataDir, dbPath) => {
    const kb = KnowledgeBase.open(dbPath);
    // The ranking the CLI and the API answer with (search/index.ts); the index is built by the warm-up.
    searchKb(kb, { query: 'warm up', limit: 20 });
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

async function timedBuild(opts: BuildOptions): Promise<object> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const s = await buildKnowledgeBase({ quiet: true, ...opts });
  return {
    ms: performance.now() - t0, cpuMs: cpuMs(cpu0), rssMb: maxRssMb(), warnings: s.warnings, sources: s.sources.filter((x) => x.loaded).length,
    workers: s.workers, cache: s.cache, phases: s.phases,
  };
}

/** CPU time of every thread of this process since `since` (worker threads included). */
function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
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
