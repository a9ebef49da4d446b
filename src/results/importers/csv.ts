/**
 * RFC 4180 CSV, read in one pass (linear time, no regex backtracking): quoted fields with
 * doubled quotes and line breaks, CRLF or LF, a leading byte-order mark. Excel and PowerShell's
 * Export-Csv both write this.
 */

export interface CsvRow {
  /** 1-based line where the row starts. */
  line: number;
  cells: string[];
}

export class CsvError extends Error {}

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    cells.push(field);
    // A blank line is no row.
    if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
    cells = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      cells.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      rowLine = line;
    } else field += c;
    i++;
  }
  if (quoted) throw new CsvError(`line ${rowLine}: a quoted field is never closed`);
  if (field !== '' || cells.length) endRow();
  return rows;
}

/** Undoes the formula guard `csvCell` adds (`'=SUM(…)` was written for `=SUM(…)`). */
export function unguard(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** Rows as objects keyed by the header's names (trimmed); the header is the first row. */
export function csvRecords(rows: readonly CsvRow[]): { header: string[]; records: { line: number; get(name: string): string }[] } {
  const header = (rows[0]?.cells ?? []).map((h) => h.trim());
  const index = new Map(header.map((h, i) => [h.toLowerCase(), i]));
  const records = rows.slice(1).map((r) => ({
    line: r.line,
    get(name: string): string {
      const i = index.get(name.toLowerCase());
      return i === undefined ? '' : unguard((r.cells[i] ?? '').trim());
    },
  }));
  return { header, records };
}
