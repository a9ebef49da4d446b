/**
 * Crash safety with a reader: while `purplebook serve` answers from a small knowledge base, full
 * builds from the real data into the same --db are SIGKILLed at seeded points (after a delay,
 * when the temp file appears, when it has grown past a size). The server must keep answering with
 * the old content throughout; the next build must succeed (clearing the killed builds' temp
 * files) and the server must then serve the new knowledge base.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_DIR, REPO, cli, fixtureDir, tempDir } from '../helpers.js';
import { rng, seedFor } from './damage.js';

const SEED = Number(process.env.PURPLEBOOK_ROBUSTNESS_SEED ?? 19_850_917);
const MAIN = join(REPO, 'dist', 'cli', 'main.js');
/** An ICS technique: present in the small knowledge base and in the full one. */
const ICS_ID = 'T0814';
/** An enterprise technique: only in the full knowledge base, so its answer shows the reload. */
const ENTERPRISE_ID = 'T1059';

type Trigger = { kind: 'delay'; ms: number } | { kind: 'temp-appears' } | { kind: 'temp-grows'; bytes: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A build's temp knowledge base and its SQLite side files (`-journal`). */
function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.tmp-'));
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve())));
}

/** `serve --port 0` prints `Serving <db> at http://127.0.0.1:<port>/ …` on stderr once it listens. */
function startServer(db: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--db', db, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = / at (http:\/\/[^/\s]+)\//.exec(err);
      if (m) resolve({ child, base: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

async function get(base: string, id: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${base}/api/techniques/${id}`);
  return { status: r.status, body: await r.text() };
}

/** Polls the server until `stop` resolves; every answer must be 200 with `expected` as its body. */
async function watch(base: string, expected: string, stop: Promise<void>): Promise<{ answers: number; wrong: string[] }> {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  let answers = 0;
  const wrong: string[] = [];
  while (!done) {
    const r = await get(base, ICS_ID);
    answers++;
    if (r.status !== 200 || r.body !== expected) wrong.push(`${r.status} ${r.body.slice(0, 200)}`);
    await sleep(15);
  }
  return { answers, wrong };
}

/** Starts a full build into `db` and SIGKILLs it at the trigger (a delay also ends when the temp file appears). */
async function killedBuild(dir: string, db: string, trigger: Trigger): Promise<{ killedWith?: string; code: number | null; tempSize?: number }> {
  const child = spawn(process.execPath, [MAIN, 'build', '--data', DATA_DIR, '--db', db, '--quiet'], { stdio: 'ignore' });
  const started = Date.now();
  let tempSize: number | undefined;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const temp = tempFiles(dir).find((f) => !seen.has(f) && /\.tmp-\d+-\d+$/.test(f));
      const size = temp ? sizeOf(join(dir, temp)) : -1;
      const fire = trigger.kind === 'delay' ? Date.now() - started >= trigger.ms || size >= 0
        : trigger.kind === 'temp-appears' ? size >= 0
          : size >= trigger.bytes;
      if (fire) {
        tempSize = size >= 0 ? size : undefined;
        child.kill('SIGKILL');
        clearInterval(timer);
        resolve();
      }
    }, 2);
    child.once('exit', () => {
      clearInterval(timer);
      resolve();
    });
  });
  await exited(child);
  for (const f of tempFiles(dir)) seen.add(f);
  return { killedWith: child.signalCode ?? undefined, code: child.exitCode, tempSize };
}

/** Temp files of earlier attempts, so a trigger looks at the running build's file only. */
const seen = new Set<string>();

let server: ChildProcess | undefined;
/** Holds two knowledge bases of the real data at times: removed once the server is gone. */
const dirs: string[] = [];
afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await exited(server);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('SIGKILL during build while a server reads the knowledge base', () => {
  it('the server keeps answering from the old file; the next build succeeds, clears the temp files, and is served', async () => {
    const dir = tempDir();
    const db = join(dir, 'kb.db');
    dirs.push(dir);
    const small = fixtureDir({
      'attack/ics-attack.json': readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json')),
      'threathunting/default/savedsearches.conf': readFileSync(join(DATA_DIR, 'threathunting', 'default', 'savedsearches.conf')),
    });
    dirs.push(small);
    const built = cli(['build', '--data', small, '--db', db, '--quiet']);
    expect(built.code, built.stderr).toBe(0);

    const started = await startServer(db);
    server = started.child;
    const { base } = started;
    const before = await get(base, ICS_ID);
    expect(before.status).toBe(200);
    expect(JSON.parse(before.body)).toMatchObject({ id: ICS_ID });
    expect((await get(base, ENTERPRISE_ID)).status).toBe(404);

    // One kill per kind of moment, in a seeded order and at seeded points.
    const rand = rng(seedFor(SEED, 'crash'));
    const triggers: Trigger[] = [
      { kind: 'delay', ms: 100 + Math.floor(rand() * 4000) },
      { kind: 'temp-appears' },
      { kind: 'temp-grows', bytes: (1 + Math.floor(rand() * 16)) * 1024 * 1024 },
    ];
    const order = triggers.map((t) => ({ t, r: rand() })).sort((a, b) => a.r - b.r).map(({ t }) => t);
    // Each build clears what the builds before it left; the last kill leaves its files for the final build.
    if (order.at(-1)!.kind === 'delay') order.push(order.splice(order.length - 2, 1)[0]!);
    const msg = `[seed ${SEED}]`;
    for (const trigger of order) {
      let stopped!: () => void;
      const stop = new Promise<void>((r) => (stopped = r));
      const watching = watch(base, before.body, stop);
      const result = await killedBuild(dir, db, trigger);
      // Answers after the kill count too: the server must not pick up anything the dead build left.
      await sleep(400);
      stopped();
      const { answers, wrong } = await watching;
      expect(result.killedWith, `${msg} ${JSON.stringify(trigger)}: the build ended by itself (${result.code}) before the kill`).toBe('SIGKILL');
      expect(wrong, `${msg} ${JSON.stringify(trigger)}: answers that were not the old content`).toEqual([]);
      expect(answers, `${msg} ${JSON.stringify(trigger)}: the server answered during the build`).toBeGreaterThan(0);
      if (trigger.kind !== 'delay') expect(result.tempSize, `${msg} ${JSON.stringify(trigger)}: killed while writing`).toBeGreaterThanOrEqual(0);
      const pids = new Set(tempFiles(dir).map((f) => f.split('.tmp-')[1]!.split('-')[0]));
      expect(pids.size, `${msg} temp files of more than the last killed build: ${tempFiles(dir).join(', ')}`).toBeLessThanOrEqual(1);
    }
    expect(readFileSync(db).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
    const left = tempFiles(dir).sort();
    // The last kill, at the temp file, left it behind: the next build must not trip over it.
    expect(left.length, `${msg} temp files of the last killed build`).toBeGreaterThanOrEqual(1);

    const next = cli(['build', '--data', DATA_DIR, '--db', db]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`Removed ${left.length} temporary file(s) left by interrupted builds: ${left.join(', ')}\n`);
    // The parse cache the killed builds may have written is whole or absent: the final build wrote its own.
    expect(readdirSync(dir).sort()).toEqual(['kb.db', 'kb.db.parse-cache']);

    // The server notices the renamed file on a later request and serves the full knowledge base.
    let after = await get(base, ENTERPRISE_ID);
    for (let i = 0; i < 100 && after.status !== 200; i++) {
      await sleep(100);
      after = await get(base, ENTERPRISE_ID);
    }
    expect(after.status, `${msg} the server did not reload the new build`).toBe(200);
    expect(JSON.parse(after.body)).toMatchObject({ id: ENTERPRISE_ID });
    expect((await get(base, ICS_ID)).status).toBe(200);
  }, 180_000);
});
