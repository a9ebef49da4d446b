/**
 * One base for every error whose message is meant for the user: the CLI prints its message as
 * one line and exits with its code (src/cli/run.ts), the server and the MCP tools turn it into
 * their own replies. Anything else that reaches the top is a bug and keeps its stack trace.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** The user asked for something wrong: an unknown name, a bad file, an empty selection. */
export const EXIT_BAD_INPUT = 2;

export class PurplebookError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE) {
    super(message);
  }
}

/** Bad input (exit 2): what the user gave cannot be used as it is. */
export class InputError extends PurplebookError {
  constructor(message: string) {
    super(message, EXIT_BAD_INPUT);
  }
}

/**
 * Why a file the user named cannot be read, as words that name what was expected: `is a folder,
 * expected a Navigator layer or a technique list`. Undefined for anything that is not such an
 * operating-system error (the caller rethrows it).
 */
export function fileProblem(e: unknown, expected: string): string | undefined {
  switch ((e as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT': return `does not exist (expected ${expected})`;
    case 'EISDIR': return `is a folder, expected ${expected}`;
    case 'ENOTDIR': return `is not a path to a file (a file stands where a folder should; expected ${expected})`;
    case 'EACCES':
    case 'EPERM': return `cannot be read: permission denied (expected ${expected})`;
    default: return undefined;
  }
}
