/** What several commands read besides the knowledge base: own rules (--rules) and the site address (--page-base). */
import { existsSync } from 'node:fs';
import { readOwnRules } from '../rules/read.js';
import type { OwnRuleSet } from '../rules/types.js';
import { CliError, EXIT_BAD_INPUT } from './common.js';

/** `no rule format recognised (3), empty file (1)`. */
function skipTally(list: { reason: string }[]): string {
  const n = new Map<string, number>();
  for (const f of list) n.set(f.reason, (n.get(f.reason) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1]).map(([r, c]) => `${r} (${c})`).join(', ');
}

/**
 * Own rules of the given folders/files. A missing path, or paths that yield no rule at all, are
 * bad input, with why each file yielded nothing; a file given by name that yields nothing is
 * named on stderr even when other paths hold rules.
 */
export function loadRules(paths: string[] | undefined): OwnRuleSet | undefined {
  if (!paths?.length) return undefined;
  for (const p of paths) if (!existsSync(p)) throw new CliError(`--rules ${p}: no such file or folder`, EXIT_BAD_INPUT);
  const set = readOwnRules(paths);
  const skipped = set.skipped ?? [];
  const why = (f: { file: string; reason: string; detail?: string }) => `${f.file}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`;
  if (!set.rules.length) {
    const detail = !set.files ? 'no file in it' : skipped.length <= 3 ? skipped.map(why).join('; ') : `${set.files} files skipped: ${skipTally(skipped)}`;
    throw new CliError(`--rules ${paths.join(', ')}: no own rule read (${detail})`, EXIT_BAD_INPUT);
  }
  for (const f of skipped) if (paths.includes(f.file)) process.stderr.write(`purplebook: --rules ${why(f)}: no rule read from it\n`);
  return set;
}

/** `--page-base https://host/purplebook/` → link of a technique's page on that site. */
export function pageUrlOf(base: string | undefined): ((id: string) => string) | undefined {
  if (!base) return undefined;
  if (!/^https?:\/\/\S+$/i.test(base)) throw new CliError(`--page-base must be an http(s) URL, got "${base}"`, EXIT_BAD_INPUT);
  const b = base.endsWith('/') ? base : `${base}/`;
  return (id) => `${b}techniques/${id}.html`;
}
