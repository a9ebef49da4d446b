/**
 * Invoke-AtomicRedTeam's default execution log (`Default-ExecutionLogger`): Export-Csv with the
 * columns "Execution Time (UTC)", "Execution Time (Local)", "Technique", "Test Number",
 * "Test Name", "Hostname", "IP Address", "Username", "GUID", "ProcessId", "ExitCode" (older
 * loggers wrote fewer: no GUID, no exit code). One row per test run; the UTC column is the start.
 */
import { normalizeTime } from '../time.js';
import { csvRecords, type CsvRow } from './csv.js';
import { ImportError, type ParsedFile, type RawExecution } from './types.js';

const REQUIRED = ['Execution Time (UTC)', 'Technique', 'Test Number'];

export function isAtomicCsv(header: readonly string[]): boolean {
  const names = new Set(header.map((h) => h.toLowerCase()));
  return REQUIRED.every((c) => names.has(c.toLowerCase()));
}

/** An integer as PowerShell prints one, or undefined. */
export function integer(s: string): number | undefined {
  return /^-?\d{1,10}$/.test(s.trim()) ? Number(s.trim()) : undefined;
}

export function readAtomicCsv(file: string, rows: readonly CsvRow[]): ParsedFile {
  // Windows PowerShell without -NoTypeInformation writes `#TYPE System.Management.Automation.PSCustomObject` first.
  const body = rows[0]?.cells[0]?.startsWith('#TYPE') ? rows.slice(1) : rows;
  const { header, records } = csvRecords(body);
  if (!isAtomicCsv(header)) throw new ImportError(`${file}: not an Invoke-AtomicRedTeam execution log (columns ${REQUIRED.join(', ')} expected)`);
  const out: RawExecution[] = [];
  const warnings: string[] = [];
  for (const r of records) {
    const origin = `${file}:${r.line}`;
    const startedAt = normalizeTime(r.get('Execution Time (UTC)'));
    if (!startedAt) {
      warnings.push(`${origin}: "${r.get('Execution Time (UTC)').slice(0, 40)}" is not a time (row skipped)`);
      continue;
    }
    const number = integer(r.get('Test Number'));
    out.push({
      origin, technique: r.get('Technique'), source: 'atomic-red-team', testId: r.get('GUID') || undefined, testNumber: number,
      testName: r.get('Test Name') || undefined, host: r.get('Hostname') || undefined, user: r.get('Username') || undefined,
      startedAt, exitStatus: integer(r.get('ExitCode')), outcomes: [{ outcome: 'ran', initial: true }],
    });
  }
  return { format: 'atomic-csv', records: out, warnings, empty: 0 };
}
