/**
 * Work the event loop must not do (reading uploaded or on-disk rules: a YAML parser can take
 * seconds on a hostile file) runs in worker threads, each job with a time budget. A job over its
 * budget or out of memory costs its worker, which is terminated and replaced; the server keeps
 * answering meanwhile. A full queue refuses at once instead of piling up bodies in memory.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads';
import { PurplebookError } from '../core/errors.js';

/** Every worker is busy and the queue is full. */
export class PoolBusyError extends PurplebookError {}
/** The job ran longer than its budget. */
export class JobTimeoutError extends PurplebookError {}
/** The job threw, or its worker died (out of memory, a crash). */
export class JobFailedError extends PurplebookError {
  constructor(message: string, readonly outOfMemory = false) {
    super(message);
  }
}

export interface PoolOptions {
  /** Workers running jobs at the same time. */
  size: number;
  /** Jobs waiting for a worker at most. */
  maxQueue: number;
  resourceLimits?: ResourceLimits;
  /** End the worker after every job (for rare, large jobs whose memory should not linger). */
  recycle?: boolean;
}

/** What a worker script answers for one job. */
export type WorkerReply<O> = { ok: true; value: O } | { ok: false; error: string };

/**
 * What a worker says as it takes a job. The budget counts from here: a fresh worker first loads
 * its modules, and on a busy machine that start-up must not be charged to the upload.
 */
const JOB_STARTED = 'started';

/** The worker script's side: answer each job the pool posts with `work`'s reply. */
export function answerJobs<I, O>(work: (job: I) => WorkerReply<O>): void {
  parentPort?.on('message', (job: I) => {
    parentPort!.postMessage(JOB_STARTED);
    parentPort!.postMessage(work(job));
  });
}

interface Job<I, O> {
  input: I;
  budgetMs: number;
  resolve(value: O): void;
  reject(error: Error): void;
}

/**
 * The compiled worker script next to this module. Under the test runner this module is the
 * TypeScript source, which a worker thread cannot load: the build's copy in dist/ is used.
 */
export function workerScript(name: string, from: string): URL {
  const here = new URL(from);
  if (!here.pathname.endsWith('.ts')) return new URL(`./${name}.js`, here);
  const built = new URL(`../../dist/server/${name}.js`, here);
  if (!existsSync(fileURLToPath(built))) throw new Error(`${fileURLToPath(built)} is missing: run \`npm run build\` first (worker threads run the compiled code)`);
  return built;
}

export class WorkerPool<I, O> {
  private readonly idle: Worker[] = [];
  private running = 0;
  private readonly queue: Job<I, O>[] = [];
  private closed = false;
  private readonly all = new Set<Worker>();

  /** `script` is resolved on the first job: a server that never parses needs no compiled worker. */
  constructor(private readonly script: () => URL, private readonly opts: PoolOptions) {}

  run(input: I, budgetMs: number): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.closed) return reject(new PoolBusyError('the server is shutting down'));
      const job: Job<I, O> = { input, budgetMs, resolve, reject };
      if (this.running < this.opts.size) this.start(job);
      else if (this.queue.length < this.opts.maxQueue) this.queue.push(job);
      else reject(new PoolBusyError(`all ${this.opts.size} parser thread(s) are busy and ${this.opts.maxQueue} upload(s) are waiting`));
    });
  }

  private spawn(): Worker {
    const w = new Worker(this.script(), { resourceLimits: this.opts.resourceLimits });
    // Idle workers must not keep the process alive; a running job has its own timer.
    w.unref();
    this.all.add(w);
    w.once('exit', () => {
      this.all.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    });
    // An idle worker that fails has no job to report to; it is gone from the pool on exit.
    w.on('error', () => {});
    return w;
  }

  private start(job: Job<I, O>): void {
    this.running++;
    const worker = this.idle.pop() ?? this.spawn();
    let done = false;
    /** Set when the worker takes the job. */
    let timer: NodeJS.Timeout | undefined;
    const finish = (keep: boolean) => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.running--;
      if (keep && !this.opts.recycle && !this.closed) this.idle.push(worker);
      else void worker.terminate();
      this.next();
      return true;
    };
    const onMessage = (reply: WorkerReply<O> | typeof JOB_STARTED) => {
      if (reply === JOB_STARTED) {
        timer = setTimeout(() => {
          if (finish(false)) job.reject(new JobTimeoutError(`it took longer than ${job.budgetMs} ms`));
        }, job.budgetMs);
        return;
      }
      if (!finish(true)) return;
      if (reply.ok) job.resolve(reply.value);
      else job.reject(new JobFailedError(reply.error));
    };
    const onError = (e: Error & { code?: string }) => {
      if (!finish(false)) return;
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      job.reject(new JobFailedError(oom ? 'it needs more memory than a parser thread may use' : e.message, oom));
    };
    const onExit = (code: number) => {
      if (finish(false)) job.reject(new JobFailedError(`the parser thread stopped (exit code ${code})`));
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(job.input);
  }

  private next(): void {
    while (!this.closed && this.running < this.opts.size && this.queue.length) this.start(this.queue.shift()!);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new PoolBusyError('the server is shutting down'));
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
