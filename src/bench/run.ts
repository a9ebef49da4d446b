/**
 * `npm run bench`: one process per measurement, a table with ratios against baselines measured
 * in the same run, and bench/results.json. Ratios travel across machines; seconds do not.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { defaultDataDir, REPO_ROOT } from '../util/paths.js';
import { scratchDb } from './measure.js';

interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
}

function measure(name: string, dataDir: string, dbPath: string): Record<string, number & unknown> {
  const out = execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'bench', 'measure.js'), name, dataDir, dbPath], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number & unknown>;
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));

async function main() {
  const dataDir = defaultDataDir(process.argv[2]);
  const { dbPath, cleanup } = scratchDb();
  const results: Record<string, unknown> = {};
  const rows: Row[] = [];
  const step = (name: string) => {
    process.stderr.write(`bench: ${name}…\n`);
    const r = measure(name, dataDir, dbPath);
    results[name] = r;
    return r;
  };
  try {
    const floor = step('floor');
    const build = step('build');
    const ratio = build.ms / floor.ms;
    rows.push({ measure: 'parse floor (all source files)', value: `${fmt(floor.ms / 1000, 2)} s`, baseline: '', ratio: '', target: '', met: null });
    rows.push({ measure: 'build (full, all sources)', value: `${fmt(build.ms / 1000, 2)} s, ${build.rssMb} MB RSS`, baseline: 'parse floor', ratio: `${fmt(ratio, 2)}×`, target: '≤ 1.5×', met: ratio <= 1.5 });
    const show = step('show');
    rows.push({ measure: 'show markdown', value: `${fmt(show.markdownPerSec, 0)} pages/s, p99 ${fmt(show.markdownP99Ms, 2)} ms`, baseline: '', ratio: '', target: '≥ 2000/s', met: show.markdownPerSec >= 2000 });
    rows.push({ measure: 'show json', value: `${fmt(show.jsonPerSec, 0)} pages/s, p99 ${fmt(show.jsonP99Ms, 2)} ms`, baseline: '', ratio: '', target: '≥ 2000/s', met: show.jsonPerSec >= 2000 });
    const search = step('search');
    rows.push({ measure: 'search (50 queries)', value: `p50 ${fmt(search.p50Ms, 2)} ms, p99 ${fmt(search.p99Ms, 2)} ms`, baseline: '', ratio: '', target: 'p99 ≤ 10 ms', met: search.p99Ms <= 10 });
  } finally {
    cleanup();
  }
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
  mkdirSync(join(REPO_ROOT, 'bench'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench', 'results.json'), `${JSON.stringify({ machine, results, rows }, null, 2)}\n`);
  const table = ['| measure | value | baseline | ratio | target | met |', '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} |`)];
  process.stdout.write(`Machine: ${machine.cpus} × ${machine.cpu}, ${machine.memGb} GB, Node ${machine.node}\n\n${table.join('\n')}\n`);
}

void main();
