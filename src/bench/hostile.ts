/**
 * The server under hostile uploads (issue 20): 8 clients post 5 MB rule sets built to be
 * expensive (one mapping of many keys, the YAML library's quadratic case; rules tagged with as
 * many techniques as allowed) as fast as they are answered, while one client probes `/healthz`.
 * Reported: the probe's p99 beside the same probe on the idle server, the answers the uploads
 * got, and the server's peak RSS beside its idle RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../util/paths.js';
import { memory, peakRss, startServer } from './serve.js';
import { percentile } from './stats.js';

export const HOSTILE_CLIENTS = 8;
const LOAD_SECONDS = 20;
const PROBE_SECONDS = 5;
/** Under the server's 5 MiB body limit with the JSON framing, so the uploads are parsed rather than refused by size. */
const BODY_BYTES = 5_000_000;

export interface HostileResult {
  clients: number;
  seconds: number;
  bodyBytes: number;
  idle: { p50Ms: number; p99Ms: number; probes: number };
  loaded: { p50Ms: number; p99Ms: number; maxMs: number; probes: number };
  /** Answers to the hostile uploads by status code. */
  answers: Record<string, number>;
  /** The server's event-loop delay during the load: what the server itself adds to any answer. */
  serverLoop: { p99Ms: number; maxMs: number };
  rssMb: { idle: number; peak: number };
}

const sigma = (title: string, tags: string[], selection: string) => `title: ${title}
logsource:
  product: windows
detection:
  selection:
${selection}  condition: selection
tags:
${tags.map((t) => `  - ${t}`).join('\n')}
`;

/** Files of distinct keys in one mapping, ~500 KB each (under the per-file limit). */
function keysHeavyBody(): string {
  const files: { name: string; content: string }[] = [];
  for (let f = 0; ; f++) {
    const lines: string[] = [];
    for (let i = 0, size = 0; size < 500_000; i++) {
      const line = `    k${f}x${i}: v\n`;
      lines.push(line);
      size += line.length;
    }
    const next = [...files, { name: `keys-${f}.yml`, content: sigma(`keys ${f}`, ['attack.t1059.001'], lines.join('')) }];
    if (JSON.stringify({ rules: next }).length > BODY_BYTES) break;
    files.push(next[next.length - 1]!);
  }
  return JSON.stringify({ rules: files });
}

/** Many small Sigma rules, each tagged with 150 real-looking technique ids. */
function referenceHeavyBody(): string {
  const tags = Array.from({ length: 150 }, (_, i) => `attack.t${1001 + i}`);
  const files: { name: string; content: string }[] = [];
  let size = 20;
  for (let i = 0; ; i++) {
    const file = { name: `refs/rule-${i}.yml`, content: sigma(`Reference-heavy rule ${i}`, tags, '    EventID: 4688\n') };
    size += JSON.stringify(file).length + 1;
    if (size > BODY_BYTES) break;
    files.push(file);
  }
  return JSON.stringify({ rules: files });
}

/** Sequential GET /healthz for `seconds`: latencies in ms, sorted. */
async function probe(base: string, seconds: number): Promise<number[]> {
  const out: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    const r = await fetch(`${base}/healthz`);
    await r.arrayBuffer();
    out.push(performance.now() - t0);
    await new Promise((ok) => setTimeout(ok, 10));
  }
  return out.sort((a, b) => a - b);
}

async function uploader(base: string, body: string, until: number, answers: Record<string, number>): Promise<void> {
  while (performance.now() < until) {
    try {
      const r = await fetch(`${base}/api/coverage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await r.arrayBuffer();
      answers[r.status] = (answers[r.status] ?? 0) + 1;
    } catch {
      // A 503 for a large body closes the connection while the client is still sending it.
      answers['closed early'] = (answers['closed early'] ?? 0) + 1;
    }
  }
}

/**
 * The uploading clients, in a process of their own (`node dist/bench/hostile.js <base> <seconds>`):
 * building and sending 5 MB bodies must not delay the `/healthz` probe of the parent.
 */
async function loadProcess(base: string, seconds: number): Promise<void> {
  const bodies = [keysHeavyBody(), referenceHeavyBody()];
  process.send?.({ ready: Math.max(...bodies.map((b) => b.length)) });
  await new Promise((ok) => process.once('message', ok));
  const answers: Record<string, number> = {};
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: HOSTILE_CLIENTS }, (_, i) => uploader(base, bodies[i % bodies.length]!, until, answers)));
  process.send?.({ answers });
}

type LoadMessage = { ready: number } | { answers: Record<string, number> };

function startLoad(base: string, seconds: number): Promise<{ child: ChildProcess; bodyBytes: number; done: Promise<Record<string, number>> }> {
  const child = fork(join(REPO_ROOT, 'dist', 'bench', 'hostile.js'), [base, String(seconds)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const done = new Promise<Record<string, number>>((resolve, reject) => {
    child.on('message', (m: LoadMessage) => {
      if ('answers' in m) resolve(m.answers);
    });
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: LoadMessage) => {
      if ('ready' in m) resolve({ child, bodyBytes: m.ready, done });
    });
  });
}

export async function measureHostile(dbPath: string): Promise<HostileResult> {
  const { child, port } = await startServer(dbPath);
  const base = `http://127.0.0.1:${port}`;
  let load: ChildProcess | undefined;
  try {
    await probe(base, 1);
    const idleRss = (await memory(child)).rssMb;
    const idle = await probe(base, PROBE_SECONDS);
    const started = await startLoad(base, LOAD_SECONDS);
    load = started.child;
    child.send('loop-reset');
    load.send('go');
    // The probe starts once every client has a body on the wire, and ends with the load.
    await new Promise((ok) => setTimeout(ok, 1000));
    const loaded = await probe(base, LOAD_SECONDS - 1);
    const answers = await started.done;
    const peak = await peakRss(child);
    return {
      clients: HOSTILE_CLIENTS, seconds: LOAD_SECONDS, bodyBytes: started.bodyBytes,
      idle: { p50Ms: percentile(idle, 50), p99Ms: percentile(idle, 99), probes: idle.length },
      loaded: { p50Ms: percentile(loaded, 50), p99Ms: percentile(loaded, 99), maxMs: loaded[loaded.length - 1] ?? 0, probes: loaded.length },
      answers, serverLoop: { p99Ms: peak.loopP99Ms, maxMs: peak.loopMaxMs }, rssMb: { idle: idleRss, peak: peak.peakRssMb },
    };
  } finally {
    load?.removeAllListeners('exit');
    load?.kill();
    stop(child);
  }
}

function stop(child: ChildProcess): void {
  child.removeAllListeners('exit');
  child.send('close');
  setTimeout(() => child.kill(), 5000).unref();
}

const [base, seconds] = process.argv.slice(2);
if (base && seconds && process.send && process.argv[1]?.endsWith('hostile.js')) void loadProcess(base, Number(seconds)).then(() => process.exit(0));
