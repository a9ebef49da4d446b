/** Tool errors: what the client sent is wrong, and the message says how (MCP tool error, not a crash). */
import { CliError } from '../cli/common.js';
import { ThreatError } from '../threats/select.js';

export class ToolInputError extends Error {}

/** Errors whose message is written for the user: shown as is. Anything else is a bug. */
export function isUserError(e: unknown): e is Error {
  return e instanceof ToolInputError || e instanceof ThreatError || e instanceof CliError;
}
