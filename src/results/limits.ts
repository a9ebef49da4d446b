/** How much one import or one API request may bring: files and bodies are untrusted input. */

/** Largest file `results import` reads. An Atomic CSV row is ~250 bytes: this is ~250 000 rows. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Most executions one file may hold. */
export const MAX_RECORDS_PER_FILE = 250_000;

/** Most rows of a CSV file: the executions, a header and PowerShell's `#TYPE` line. */
export const MAX_CSV_ROWS = MAX_RECORDS_PER_FILE + 2;

/** Most fields in one CSV row (an outcome sheet has 25 columns, an Atomic log 11). */
export const MAX_CSV_FIELDS = 1000;

/** Largest body of POST /api/results (413 above). */
export const MAX_API_BODY_BYTES = 256 * 1024;

/** Largest upload to POST /api/results/import (413 above): a day's logs, not a data lake. */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;

/** Most records in one POST /api/results. */
export const MAX_API_RECORDS = 500;

/** Longest free-text field (note, rule, names) stored from any input. */
export const MAX_TEXT = 2000;
