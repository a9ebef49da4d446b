/** What a reader makes of one file, before the knowledge base names its techniques and tests. */
import { MAX_RECORDS_PER_FILE } from '../limits.js';
import type { ExecutionFacts } from '../model.js';
import { InputError } from '../../core/errors.js';

export const IMPORT_FORMATS = ['atomic-csv', 'attire', 'caldera', 'sheet', 'purplebook-json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface RawExecution extends ExecutionFacts {
  /** `file:line` or `file: procedures[3]`: where a warning points. */
  origin: string;
  /** Technique id as written. */
  technique: string;
  /** As first written, when the file carries it (an export of an earlier import); default: `technique`. */
  techniqueRaw?: string;
  /** Knowledge-base source of the test, when the format says (Atomic logs, Caldera); else found by the test id. */
  source?: string;
  testId?: string;
  /** Atomic test number, for loggers that write no GUID. */
  testNumber?: number;
}

export interface ParsedFile {
  format: ImportFormat;
  records: RawExecution[];
  /** One line each, naming the row: rows left out and why. */
  warnings: string[];
  /** Rows with nothing to record (a sheet row nobody filled in). */
  empty: number;
}

export class ImportError extends InputError {}

/**
 * Entries of a JSON log at most, checked before they are read: each becomes a row or a warning,
 * and 8 MiB holds 4 million `0,` (4 million warnings took 2.3 GB and 53 s).
 */
export function checkEntries(file: string, n: number, what: string): void {
  if (n > MAX_RECORDS_PER_FILE) throw new ImportError(`${file}: ${n} ${what}, more than the ${MAX_RECORDS_PER_FILE} one import takes: split the file`);
}
