/**
 * The compiled CLI run in process, for `cli()` in helpers.ts: one worker thread per test worker
 * loads dist/cli/run.js once and runs each command line there, while the calling thread waits on
 * it synchronously (Atomics.wait, then receiveMessageOnPort), so `cli()` keeps its synchronous
 * signature. A spawned `node dist/cli/main.js` pays Node's start and the command's module load on
 * every call (0.4 to 0.7 s of CPU on a slow 2-core machine), which was most of the suite's CPU.
 *
 * What a child process gives and a thread does not is kept out: calls with stdin, calls that set
 * variables other than PURPLEBOOK_* and XDG_* (os.homedir() reads HOME from the real environment,
 * not the thread's copy), and every call when PURPLEBOOK_TEST_SPAWN=1 go to a child process
 * (helpers.ts); `test/cli/in-process.test.ts` checks that both ways give the same output and exit codes.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export interface CliResult { code: number; stdout: string; stderr: string }

// Plain JavaScript run in the worker thread. Output is captured by replacing the two streams'
// write for the length of a call; the worker's own copy of the environment becomes the caller's
// (as a child process would get it) for the length of a call.
const HOST = `
const { workerData } = require('node:worker_threads');
const { flag, port, runUrl } = workerData;
const done = (reply) => { port.postMessage(reply); Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); };
process.on('exit', () => { Atomics.store(flag, 0, 2); Atomics.notify(flag, 0); });
const loaded = import(runUrl);
const text = (chunk) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
port.on('message', async ({ args, env }) => {
  const saved = { ...process.env };
  const setEnv = (to) => {
    for (const k of Object.keys(process.env)) if (!(k in to)) delete process.env[k];
    Object.assign(process.env, to);
  };
  setEnv(env);
  const out = [], err = [];
  const writes = [process.stdout.write, process.stderr.write];
  const capture = (into) => (chunk, enc, cb) => { into.push(text(chunk)); const f = typeof enc === 'function' ? enc : cb; if (f) f(); return true; };
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let code;
  try {
    code = await (await loaded).main(['node', 'purplebook', ...args]);
  } catch (e) {
    code = -1;
    err.push(String(e && e.stack || e));
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
    setEnv(saved);
  }
  done({ code, stdout: out.join(''), stderr: err.join('') });
});
`;

interface Host { worker: Worker; port: MessagePort; flag: Int32Array }
let host: Host | undefined;

function start(repo: string): Host {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const runUrl = pathToFileURL(join(repo, 'dist', 'cli', 'run.js')).href;
  const worker = new Worker(HOST, { eval: true, workerData: { flag, port: port2, runUrl }, transferList: [port2] });
  // The host must not keep a finished test worker alive.
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag };
}

/** A command line still running after this long is a hang: the call fails instead of blocking the run. */
const DEADLINE_MS = 10 * 60_000;

/**
 * The command's result, or undefined when the host thread died (the caller then spawns). The
 * command sees the caller's environment as it is now, with CI=true and `env` over it.
 */
export function cliInProcess(repo: string, args: string[], env: Record<string, string>): CliResult | undefined {
  host ??= start(repo);
  const { port, flag } = host;
  Atomics.store(flag, 0, 0);
  port.postMessage({ args, env: { ...process.env, CI: 'true', ...env } });
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (Date.now() > deadline) {
      void host.worker.terminate();
      host = undefined;
      throw new Error(`purplebook ${args.join(' ')}: no answer in ${DEADLINE_MS / 1000} s`);
    }
    Atomics.wait(flag, 0, 0, 1000);
    const state = Atomics.load(flag, 0);
    const reply = receiveMessageOnPort(port);
    if (reply) return reply.message as CliResult;
    if (state === 2) {
      void host.worker.terminate();
      host = undefined;
      return undefined;
    }
  }
}
