/** What every command shares: exit codes, --db/--data defaults, opening the knowledge base, output formats, errors. */
import { accessSync, constants, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DOMAINS, type Domain } from '../attack/types.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, fileProblem, PurplebookError } from '../core/errors.js';
import { KnowledgeBase } from '../kb/open.js';
import { closeValues } from '../page/suggest.js';
import { defaultDbPath } from '../util/paths.js';

export { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../core/errors.js';

/** A command's own complaint about its options or input: one line for the user, with its exit code. */
export class CliError extends PurplebookError {}

/** Bad input (exit 2) about a value that is not one of the valid ones: names the closest, else lists them all. */
export function unknownValue(what: string, value: string, valid: readonly string[], near: readonly string[] = []): CliError {
  const shown = valid.length > 30 ? `${valid.slice(0, 30).join(', ')} … (${valid.length} in all)` : valid.join(', ');
  const hint = near.length ? `did you mean ${near.join(', ')}?` : valid.length ? `valid: ${shown}` : 'there is none to choose from';
  return new CliError(`unknown ${what} "${value}"; ${hint}`, EXIT_BAD_INPUT);
}

/**
 * An operating-system error (EISDIR, EACCES, ENOTDIR…) as one line naming the path, or undefined
 * for anything else: those reach the user without a stack trace.
 */
export function systemErrorLine(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof err.code !== 'string' || !/^E[A-Z]+$/.test(err.code)) return undefined;
  const what: Record<string, string> = {
    EISDIR: 'is a folder, expected a file', ENOTDIR: 'is not a folder (a file is in the way)', EACCES: 'permission denied',
    EPERM: 'operation not permitted', ENOENT: 'does not exist', EROFS: 'is on a read-only file system', ENOSPC: 'no space left on the device',
    EEXIST: 'already exists', EMFILE: 'too many open files',
  };
  const path = err.path ?? (err as { dest?: string }).dest;
  const text = what[err.code] ?? err.message.split('\n')[0];
  return path ? `${path}: ${text}${err.syscall ? ` (${err.syscall})` : ''}` : `${err.syscall ?? 'system call'} failed: ${text}`;
}

/** Option parser of a repeatable, comma-separated list: `--group G0016,G0007 --group APT28`. */
export const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)];

export const DB_OPTION_HELP = 'knowledge-base file (default: $PURPLEBOOK_DB, else ~/.local/share/purplebook/purplebook.db)';

/* ------------------------------------------------------------------ shared options: one definition each */

/** `--db <file>`: the knowledge base a command reads or writes (resolved by `defaultDbPath`). */
export const dbOption = (): Option => new Option('--db <file>', DB_OPTION_HELP);

/** `--domain <domain>`, read with `parseDomain`; `fallback` says what no --domain means (omitted: nothing is said). */
export const domainOption = (fallback?: string): Option => new Option('--domain <domain>', `enterprise, mobile or ics${fallback ? ` (${fallback})` : ''}`);

/** `enterprise`, `Enterprise` or `enterprise-attack` → the domain; anything else is bad input. */
export function parseDomain(value: string | undefined): Domain | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  const d = v.endsWith('-attack') ? v : `${v}-attack`;
  if (!(DOMAINS as readonly string[]).includes(d)) {
    const short = DOMAINS.map((x) => x.replace('-attack', ''));
    throw unknownValue('--domain', value, short, closeValues(value.replace(/-attack$/i, ''), short));
  }
  return d as Domain;
}

/** A --db path that exists but is a folder is bad input, said before SQLite says it obscurely. */
export function checkDbPath(dbPath: string): void {
  const isDir = (() => {
    try {
      return statSync(dbPath).isDirectory();
    } catch {
      return false;
    }
  })();
  if (isDir) throw new CliError(`--db ${dbPath} is a folder; expected a knowledge-base file (e.g. ${dbPath.replace(/[\\/]+$/, '')}/purplebook.db)`, EXIT_BAD_INPUT);
}

export function openKb(db?: string): KnowledgeBase {
  const path = defaultDbPath(db);
  checkDbPath(path);
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A missing file is KnowledgeBase.open's to explain (it says to run `build`).
    if (code === 'EACCES' || code === 'EPERM') throw new CliError(`--db ${path} ${fileProblem(e, 'a knowledge-base file')}`, EXIT_BAD_INPUT);
  }
  try {
    return KnowledgeBase.open(path);
  } catch (e) {
    if (e instanceof PurplebookError) throw e;
    throw new CliError(`cannot open the knowledge base ${path}: ${(e as Error).message.split('\n')[0]}`, EXIT_FAILURE);
  }
}

/** Runs with the knowledge base open and always closes it. */
export async function withKb<T>(db: string | undefined, fn: (kb: KnowledgeBase) => T | Promise<T>): Promise<T> {
  const kb = openKb(db);
  try {
    return await fn(kb);
  } finally {
    kb.close();
  }
}

export function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 0) throw new CliError(`${name} must be a whole number, got "${value}"`, EXIT_BAD_INPUT);
  return n;
}

/* ------------------------------------------------------------------ output formats */

export interface FormatFlags {
  format?: string;
  json?: boolean;
  csv?: boolean;
}

/**
 * `--format <f>` and `--json` (the same as `--format json`) on a command; `csv` adds `--csv`
 * (= `--format csv`). The default is applied by `formatOf`, so that a flag given twice can be told
 * from a default.
 */
export function withFormatOptions(cmd: Command, formats: readonly string[], fallback: string, opts: { csv?: boolean } = {}): Command {
  cmd.option('--format <format>', `output format: ${formats.join(', ')} (default ${fallback})`);
  cmd.option('--json', 'same as --format json');
  if (opts.csv) cmd.option('--csv', 'same as --format csv');
  return cmd;
}

/** The format the flags ask for; flags that disagree, or an unknown format, are bad input. */
export function formatOf(flags: FormatFlags, formats: readonly string[], fallback: string): string {
  const asked = [
    ...(flags.format !== undefined ? [{ flag: `--format ${flags.format}`, value: flags.format.toLowerCase() }] : []),
    ...(flags.json ? [{ flag: '--json', value: 'json' }] : []),
    ...(flags.csv ? [{ flag: '--csv', value: 'csv' }] : []),
  ];
  const values = new Set(asked.map((a) => a.value));
  if (values.size > 1) throw new CliError(`${asked.map((a) => a.flag).join(' and ')} ask for different formats: give one`, EXIT_BAD_INPUT);
  const format = asked[0]?.value ?? fallback;
  if (!formats.includes(format)) throw new CliError(`--format must be one of ${formats.join(', ')}, got "${flags.format}"`, EXIT_BAD_INPUT);
  return format;
}

/** Writes to stdout and waits for the pipe to drain (large outputs, `| head`). */
export function out(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}
