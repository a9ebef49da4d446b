/** What every command shares: exit codes, --db/--data defaults, opening the knowledge base, errors. */
import { KbError, KnowledgeBase } from '../kb/open.js';
import { defaultDbPath } from '../util/paths.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** An error whose message is for the user, with the exit code it deserves. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = EXIT_FAILURE) {
    super(message);
  }
}

export const DB_OPTION_HELP = 'knowledge-base file (default: $PURPLEBOOK_DB, else ~/.local/share/purplebook/purplebook.db)';

export function openKb(db?: string): KnowledgeBase {
  try {
    return KnowledgeBase.open(defaultDbPath(db));
  } catch (e) {
    if (e instanceof KbError) throw new CliError(e.message, EXIT_FAILURE);
    throw e;
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
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a whole number, got "${value}"`, EXIT_BAD_INPUT);
  return n;
}

/** Writes to stdout and waits for the pipe to drain (large outputs, `| head`). */
export function out(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}
