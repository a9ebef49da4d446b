import { InputError } from '../../core/errors.js';
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

export class CsvError extends InputError {}

export interface CsvLimits {
  /** Rows at most (blank lines not counted): 4 million one-character rows fit in 8 MiB, each a row object and a warning. */
  maxRows?: number;
  /** Fields in one row at most: 8 MiB of commas is one row of 8 million fields. */
  maxFields?: number;
}

export function parseCsv(text: string, limits: CsvLimits = {}): CsvRow[] {
  const maxRows = limits.maxRows ?? Infinity;
  const maxFields = limits.maxFields ?? Infinity;
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  const endRow = () => {
    // A blank line is no row.
    if (cells.length > 1 || cells[0] !== '') {
      if (rows.length >= maxRows) throw new CsvError(`more than ${maxRows} rows: split the file`);
      rows.push({ line: rowLine, cells });
    }
    cells = [];
  };
  // Fields are sliced out of the text, not built a character at a time (a rope per field cost ~5 KB a row).
  while (i < n) {
    let field: string;
    if (text[i] === '"') {
      const parts: string[] = [];
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new CsvError(`line ${rowLine}: a quoted field is never closed`);
        parts.push(text.slice(from, q));
        if (text[q + 1] === '"') {
          parts.push('"');
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      field = parts.join('');
      for (const p of parts) for (let k = p.indexOf('\n'); k >= 0; k = p.indexOf('\n', k + 1)) line++;
      // Anything between the closing quote and the delimiter belongs to the field, as spreadsheets read it.
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      field += text.slice(i, j);
      i = j;
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      field = text.slice(i, j);
      i = j;
    }
    cells.push(field);
    if (cells.length > maxFields) throw new CsvError(`line ${rowLine}: more than ${maxFields} fields in a row`);
    if (i >= n) break;
    const c = text[i];
    if (c === ',') {
      i++;
      // A delimiter at the very end still opens an (empty) last field.
      if (i >= n) cells.push('');
      if (cells.length > maxFields) throw new CsvError(`line ${rowLine}: more than ${maxFields} fields in a row`);
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') i++;
    i++;
    endRow();
    line++;
    rowLine = line;
  }
  if (cells.length) endRow();
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
