/**
 * Own rules for the coverage API: uploaded with a request (one OwnRuleSet per request), or the
 * server's rules folder (`serve --rules DIR`), read at startup and again whenever the knowledge
 * base is reloaded, so a rebuild and a rules update are picked up together. Both are read in
 * worker threads (rules-worker.ts), never on the event loop, and neither may tell a client where
 * the server keeps its files.
 */
import { basename, resolve } from 'node:path';
import { parseOwnRuleFiles, readOwnRules } from '../rules/read.js';
import type { OwnRule, OwnRuleSet } from '../rules/types.js';
import type { ServerLimits } from './limits.js';
import { WorkerPool, workerScript } from './worker-pool.js';

export interface UploadedFile {
  name: string;
  content: string;
}

/** What the worker is asked to do. */
export type RulesJob =
  | { kind: 'upload'; files: UploadedFile[]; limits: RuleLimits }
  | { kind: 'folder'; paths: string[]; limits: RuleLimits };

export type RuleLimits = Pick<ServerLimits, 'maxUploadFileBytes' | 'maxTechniquesPerRule'>;

/** A rule's own id is copied into every reference to it: a long one would multiply the response. */
const MAX_RULE_ID = 200;

function boundIds(rule: OwnRule): OwnRule {
  return rule.id && rule.id.length > MAX_RULE_ID ? { ...rule, id: `${rule.id.slice(0, MAX_RULE_ID - 1)}…` } : rule;
}

/**
 * Uploaded files as one rule set (see parseOwnRuleFiles: correlations link across the files, skipped
 * files say why); a name given twice gets a " (2)" suffix, so rule keys stay unique.
 */
export function uploadedRules(files: readonly UploadedFile[], limits: RuleLimits): OwnRuleSet {
  const used = new Set<string>();
  const named: UploadedFile[] = [];
  const opts = { limits: { maxFileBytes: limits.maxUploadFileBytes, maxTechniquesPerResource: limits.maxTechniquesPerRule } };
  for (const f of files) {
    const base = f.name.replace(/\\/g, '/');
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base} (${i})`;
    used.add(name);
    named.push({ name, content: f.content });
  }
  const set = parseOwnRuleFiles(named, opts);
  return { ...set, rules: set.rules.map(boundIds) };
}

/**
 * Rewrites the names a rule set reports so that no server path is left: a file inside a given
 * folder keeps its path relative to that folder (prefixed with the folder's own name when two
 * folders hold the same path), a file given directly is named by its base name, and paths in
 * messages (`EACCES: permission denied, open '/srv/rules/x.yml'`) are shortened the same way.
 */
export function withoutServerPaths(set: OwnRuleSet, paths: readonly string[]): OwnRuleSet {
  const forms: [string, string][] = [];
  for (const p of paths) {
    const label = basename(resolve(p)) || 'rules';
    for (const form of new Set([resolve(p), p.replace(/[\\/]+$/, '')])) if (form) forms.push([form, label]);
  }
  // Longest first, so /srv/rules/a is not shortened as /srv/rules.
  forms.sort((a, b) => b[0].length - a[0].length);
  const renamed = new Map<string, string>();
  const used = new Set<string>();
  const name = (file: string): string => {
    const known = renamed.get(file);
    if (known !== undefined) return known;
    let out = file;
    for (const [form, label] of forms) {
      if (file === form) {
        out = label;
        break;
      }
      if (file.startsWith(`${form}/`) || file.startsWith(`${form}\\`)) {
        out = `${label}/${file.slice(form.length + 1)}`;
        break;
      }
    }
    // Only paths outside every folder are absolute here; never show one.
    if (out.startsWith('/') || /^[A-Za-z]:[\\/]/.test(out)) out = basename(out);
    const unique = out;
    for (let i = 2; used.has(out); i++) out = `${unique} (${i})`;
    used.add(out);
    renamed.set(file, out);
    return out;
  };
  const message = (text: string): string => {
    let out = text;
    for (const [form, label] of forms) if (form.startsWith('/') || /^[A-Za-z]:/.test(form)) out = out.split(form).join(label);
    // Whatever absolute path an error message still quotes (a folder's parent, a symlink target).
    return out.replace(/'(?:\/|[A-Za-z]:\\)[^']*'/g, (q) => `'${basename(q.slice(1, -1))}'`);
  };
  return {
    files: set.files,
    rules: set.rules.map((r) => {
      const file = name(r.file);
      const key = r.key === r.file ? file : `${file}${r.key.slice(r.file.length)}`;
      return boundIds({ ...r, file, key });
    }),
    warnings: set.warnings.map((w) => ({ file: name(w.file), reason: message(w.reason) })),
  };
}

/** The rules folder as a client may see it. */
export function folderRules(paths: readonly string[], limits: RuleLimits): OwnRuleSet {
  return withoutServerPaths(readOwnRules([...paths], { limits: { maxTechniquesPerResource: limits.maxTechniquesPerRule } }), paths);
}

export const RULES_WORKER = () => workerScript('rules-worker', import.meta.url);

/** A folder of 100,000 files took 12 s to read: reloads get this long before they are given up. */
const FOLDER_BUDGET_MS = 10 * 60 * 1000;

export class ServerRules {
  private set?: OwnRuleSet;
  private at?: string;
  private pool?: WorkerPool<RulesJob, OwnRuleSet>;
  private reading?: Promise<void>;
  private again = false;

  /**
   * Reads the folders now, before the server listens: a missing one throws, so `serve` fails at
   * startup rather than on the first request.
   */
  constructor(readonly paths: readonly string[], private readonly limits: RuleLimits, private readonly onError?: (e: Error) => void) {
    if (!paths.length) return;
    this.set = folderRules(paths, limits);
    this.at = new Date().toISOString();
  }

  /**
   * Re-reads the folders in a worker thread; requests are served the rules read before until the
   * new set is complete. On failure (a folder removed) the rules read before stay in use. A reload
   * asked for while one runs is done once more after it.
   */
  reload(): void {
    if (!this.paths.length) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.pool ??= new WorkerPool<RulesJob, OwnRuleSet>(RULES_WORKER, { size: 1, maxQueue: 0, recycle: true });
    const pool = this.pool;
    this.reading = pool.run({ kind: 'folder', paths: [...this.paths], limits: this.limits }, FOLDER_BUDGET_MS).then(
      (set) => {
        this.set = set;
        this.at = new Date().toISOString();
      },
      (e: Error) => this.onError?.(e),
    ).finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.reload();
      }
    });
  }

  /** Resolves when no reload is running (tests, and a clean shutdown). */
  async settled(): Promise<void> {
    while (this.reading) await this.reading;
  }

  async close(): Promise<void> {
    this.again = false;
    await this.pool?.close();
    await this.settled().catch(() => {});
  }

  get current(): OwnRuleSet | undefined {
    return this.set;
  }

  /** What the coverage page tells about the server's rules (counts only: the server's paths stay private). */
  get summary(): { rules: number; files: number; readAt: string } | undefined {
    return this.set ? { rules: this.set.rules.length, files: this.set.files, readAt: this.at! } : undefined;
  }
}
