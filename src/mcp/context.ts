/**
 * What every tool call reads: the knowledge base (reopened when `purplebook build` replaces the
 * file, as `serve` does) and the own rules of the folders given on the command line, re-read with it.
 */
import { DEFAULT_SERVER_LIMITS } from '../server/limits.js';
import { KbHolder, type Generation } from '../server/holder.js';
import { ServerRules } from '../server/rules.js';

export interface McpContextOptions {
  dbPath: string;
  /** Own-rule folders or files from the command line; clients can never name a path. */
  rules: readonly string[];
  /** Problems that do not fail a call (a reload that failed): the server's stderr. */
  log?: (line: string) => void;
}

/** Answers kept per knowledge-base generation, so paging through one does not recompute it per page. */
const MEMO_ENTRIES = 16;
const memos = new WeakMap<Generation, Map<string, unknown>>();

/** `compute()` once per generation and key; keys come from validated inputs, and at most MEMO_ENTRIES are kept. */
export function remember<T>(gen: Generation, key: string, compute: () => T): T {
  let memo = memos.get(gen);
  if (!memo) memos.set(gen, memo = new Map<string, unknown>());
  if (memo.has(key)) return memo.get(key) as T;
  const value = compute();
  if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
  return value;
}

export class McpContext {
  readonly rules: ServerRules;
  private readonly holder: KbHolder;

  constructor(readonly opts: McpContextOptions) {
    const log = opts.log ?? (() => {});
    this.rules = new ServerRules(opts.rules, DEFAULT_SERVER_LIMITS, (e) => log(`could not re-read --rules, still using the rules read before: ${e.message}`));
    this.holder = new KbHolder(opts.dbPath, {
      checkIntervalMs: 1000,
      onReload: () => this.rules.reload(),
      onError: (e) => log(`could not reopen ${opts.dbPath}, still answering from the previous build: ${e.message}`),
    });
  }

  /** Runs one call on the generation current at its start; a rebuild meanwhile does not close it under the call. */
  use<T>(fn: (gen: Generation) => T): T {
    const gen = this.holder.acquire();
    try {
      return fn(gen);
    } finally {
      this.holder.release(gen);
    }
  }

  close(): void {
    this.holder.close();
    // The rules' reload worker, if a rebuild started one.
    void this.rules.close();
  }
}
