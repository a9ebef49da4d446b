/** Tool errors: what the client sent is wrong, and the message says how (MCP tool error, not a crash). */
import { InputError, PurplebookError } from '../core/errors.js';

export class ToolInputError extends InputError {}

/** Errors whose message is written for the user (every PurplebookError): shown as is. Anything else is a bug. */
export function isUserError(e: unknown): e is Error {
  return e instanceof PurplebookError;
}
