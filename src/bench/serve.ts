/**
 * The server under a loopback load generator (autocannon): requests/s and p99 latency of the
 * technique and search APIs over a fixed list of inputs, `/healthz` as the baseline (the cost of
 * the framework and the loopback alone), and the server's RSS before and after.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../util/paths.js';
import { BENCH_TECHNIQUES, SEARCH_QUERIES } from './queries.js';
import type { ChildMessage } from './serve-child.js';

interface Histogram {
  average: number;
  p50: number;
  p99: number;
  total: number;
}

interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  requests?: { method: 'GET'; path: string }[];
}

// autocannon ships CommonJS without types: the subset used here is typed above.
const autocannon = createRequire(import.meta.url)('autocannon') as (o: AutocannonOptions) => Promise<AutocannonResult>;

/** Seconds of load per route; two CPUs, so one core serves while the other generates load. */
export const SERVE_SECONDS = 10;
const CONNECTIONS = 10;

export interface RouteResult {
  route: string;
  inputs: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

export interface ServeResult {
  seconds: number;
  connections: number;
  routes: Record<'healthz' | 'technique' | 'search', RouteResult>;
  rssMb: { started: number; warmed: number; after: number };
  heapMb: { warmed: number; after: number };
}

export function startServer(dbPath: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(REPO_ROOT, 'dist', 'bench', 'serve-child.js'), [dbPath], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.once('message', (m: ChildMessage) => {
      if ('port' in m) resolve({ child, port: m.port });
    });
  });
}

export function memory(child: ChildProcess): Promise<{ rssMb: number; heapMb: number }> {
  return new Promise((resolve) => {
    child.once('message', (m: ChildMessage) => {
      if ('rssMb' in m) resolve(m);
    });
    child.send('memory');
  });
}

/** The server process's largest RSS so far (MB, worker threads included) and its event-loop delay since the last call. */
export function peakRss(child: ChildProcess): Promise<{ peakRssMb: number; loopP99Ms: number; loopMaxMs: number }> {
  return new Promise((resolve) => {
    child.once('message', (m: ChildMessage) => {
      if ('peakRssMb' in m) resolve(m);
    });
    child.send('peak');
  });
}

async function load(port: number, route: string, paths: string[], seconds: number): Promise<RouteResult> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: seconds,
    requests: paths.map((path) => ({ method: 'GET', path })),
  });
  return {
    route, inputs: paths.length, reqPerSec: r.requests.total / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99,
    requests: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx,
  };
}

export async function measureServe(dbPath: string): Promise<ServeResult> {
  const { child, port } = await startServer(dbPath);
  try {
    const techniquePaths = BENCH_TECHNIQUES.map((id) => `/api/techniques/${id}`);
    const searchPaths = SEARCH_QUERIES.map((q) => `/api/search?q=${encodeURIComponent(q)}`);
    const started = await memory(child);
    // Warm-up: every input once or more (the response cache fills), so "before" is the steady state.
    await load(port, 'warm-up', techniquePaths, 2);
    await load(port, 'warm-up', searchPaths, 1);
    const warmed = await memory(child);
    const healthz = await load(port, '/healthz', ['/healthz'], SERVE_SECONDS / 2);
    const technique = await load(port, '/api/techniques/:id', techniquePaths, SERVE_SECONDS);
    const search = await load(port, '/api/search', searchPaths, SERVE_SECONDS);
    const after = await memory(child);
    return {
      seconds: SERVE_SECONDS, connections: CONNECTIONS, routes: { healthz, technique, search },
      rssMb: { started: started.rssMb, warmed: warmed.rssMb, after: after.rssMb },
      heapMb: { warmed: warmed.heapMb, after: after.heapMb },
    };
  } finally {
    child.removeAllListeners('exit');
    child.send('close');
    // A server that does not stop within 5 s is killed: the benchmark must end.
    setTimeout(() => child.kill(), 5000).unref();
  }
}
