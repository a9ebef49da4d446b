/** Where the results file is: --results, then $PURPLEBOOK_RESULTS, then `results.db` beside the knowledge base. */
import { dirname, join, resolve } from 'node:path';
import { defaultDbPath } from '../util/paths.js';

export function defaultResultsPath(explicit?: string, db?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.PURPLEBOOK_RESULTS) return resolve(process.env.PURPLEBOOK_RESULTS);
  return join(dirname(defaultDbPath(db)), 'results.db');
}
