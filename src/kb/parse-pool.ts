/**
 * A small pool of parse worker threads (parse-worker.ts). Tasks queue in the order given and go
 * to whichever worker is free; results come back as plain objects. A worker that dies fails every
 * task not yet answered, so the build stops with that reason instead of hanging.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Task, TaskResult, TaskSetup } from './parse-task.js';

interface Pending {
  id: number;
  task: Task;
  resolve: (r: TaskResult) => void;
  reject: (e: Error) => void;
}

/**
 * The compiled worker beside this module, or undefined when running from the TypeScript sources
 * (tests), where a worker thread cannot load them: the build then reads in its own thread.
 */
export function workerScript(): URL | undefined {
  const url = new URL('./parse-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined;
}

export class ParsePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;
  /** No task will come any more: idle workers end. */
  private sealed = false;
  private readonly ended = new Set<Worker>();
  private exits = 0;
  private readonly workers: Worker[] = [];

  /** `resourceLimits` are each worker's heap limits (the ATT&CK worker keeps V8's defaults: its bundles are large). */
  constructor(size: number, setup: TaskSetup, script: URL, resourceLimits: ResourceLimits = {}) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script, { workerData: setup, resourceLimits });
      w.on('message', (msg: { id: number; result?: TaskResult; error?: string }) => this.answered(w, msg));
      w.on('error', (e) => this.fail(new Error(`a parse worker failed: ${e.message}`)));
      w.on('exit', (code) => {
        this.exits++;
        if (code !== 0 && !this.ended.has(w)) this.fail(new Error(`a parse worker stopped (exit code ${code})`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Workers whose thread has ended (and whose heap is gone). */
  get exited(): number {
    return this.exits;
  }

  run(task: Task): Promise<TaskResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.sealed) return Promise.reject(new Error('the parse pool takes no more tasks'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Every task has been given: from now on a worker that finds the queue empty ends, and its heap
   * goes with it, instead of idling while the others finish and the main thread writes.
   */
  closeWhenIdle(): void {
    this.sealed = true;
    this.dispatch();
  }

  /** Ends the workers; closing again does nothing. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const p = this.queue.shift()!;
      this.busy.set(w, p);
      w.postMessage({ id: p.id, task: p.task });
    }
    if (!this.sealed || this.queue.length) return;
    for (const w of this.idle.splice(0)) {
      this.ended.add(w);
      void w.terminate();
    }
  }

  private answered(w: Worker, msg: { id: number; result?: TaskResult; error?: string }): void {
    const p = this.busy.get(w);
    if (!p || p.id !== msg.id) return;
    this.busy.delete(w);
    this.idle.push(w);
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.result!);
    this.dispatch();
  }

  private fail(e: Error): void {
    if (this.failure || this.closing) return;
    this.failure = e;
    for (const p of [...this.busy.values(), ...this.queue]) p.reject(e);
    this.busy.clear();
    this.queue.length = 0;
  }
}
