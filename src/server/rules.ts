/**
 * Own rules for the coverage API: uploaded with a request (one OwnRuleSet per request), or the
 * server's rules folder (`serve --rules DIR`), read at startup and again whenever the knowledge
 * base is reloaded, so a rebuild and a rules update are picked up together.
 */
import { parseOwnRuleFiles, readOwnRules } from '../rules/read.js';
import type { OwnRuleSet } from '../rules/types.js';

export interface UploadedFile {
  name: string;
  content: string;
}

/** Uploaded files as one rule set (see parseOwnRuleFiles); a name given twice gets a " (2)" suffix, so rule keys stay unique. */
export function uploadedRules(files: readonly UploadedFile[]): OwnRuleSet {
  const used = new Set<string>();
  const named: UploadedFile[] = [];
  for (const f of files) {
    const base = f.name.replace(/\\/g, '/');
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base} (${i})`;
    used.add(name);
    named.push({ name, content: f.content });
  }
  return parseOwnRuleFiles(named);
}

export class ServerRules {
  private set?: OwnRuleSet;
  private at?: string;

  /** Reads the folders now: a missing one throws, so `serve` fails at startup rather than on the first request. */
  constructor(readonly paths: readonly string[], private readonly onError?: (e: Error) => void) {
    if (paths.length) this.read();
  }

  private read(): void {
    this.set = readOwnRules([...this.paths]);
    this.at = new Date().toISOString();
  }

  /** Re-reads the folders; on failure (a folder removed) the rules read before stay in use. */
  reload(): void {
    if (!this.paths.length) return;
    try {
      this.read();
    } catch (e) {
      this.onError?.(e as Error);
    }
  }

  get current(): OwnRuleSet | undefined {
    return this.set;
  }

  /** What the coverage page tells about the server's rules (counts only: the server's paths stay private). */
  get summary(): { rules: number; files: number; readAt: string } | undefined {
    return this.set ? { rules: this.set.rules.length, files: this.set.files, readAt: this.at! } : undefined;
  }
}
