/**
 * The outcome sheet: one CSV layout for the sheet `plan --format csv` writes (one row per planned
 * test, outcome columns empty for the team to fill), for `results export --format csv` (one row
 * per recorded outcome) and for `results import` of either.
 */
export const SHEET_COLUMNS = [
  'exercise', 'exercise_date', 'threats', 'stack', 'tactic', 'technique', 'technique_name', 'technique_raw', 'source', 'test_id', 'test_number',
  'test_name', 'platform', 'host', 'user', 'start', 'end', 'exit_status', 'previous_outcome', 'outcome', 'rule', 'alert_id', 'note',
  'recorded_by', 'recorded_at',
] as const;

export type SheetColumn = (typeof SHEET_COLUMNS)[number];
export type SheetRow = Partial<Record<SheetColumn, string | number | null | undefined>>;

/** Columns a file must have to be read as a sheet. */
export const SHEET_REQUIRED: readonly SheetColumn[] = ['technique', 'source', 'test_id', 'outcome'];

/** Lists inside one cell (threats) are separated by "; ". */
export const LIST_SEPARATOR = '; ';
