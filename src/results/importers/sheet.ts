/**
 * Reads the outcome sheet (see ../sheet.ts): a filled-in plan, or an export. A row with an
 * outcome marks it on the test's latest execution (or on the execution its start time names);
 * a row with a start time and no outcome records the execution alone; a row with neither is
 * a planned test nobody filled in, and is left out. Rows with `recorded_at` come from an
 * export and name their execution exactly.
 */
import { isOutcome } from '../outcomes.js';
import { LIST_SEPARATOR, SHEET_REQUIRED } from '../sheet.js';
import { normalizeDate, normalizeTime } from '../time.js';
import { integer } from './atomic-csv.js';
import { csvRecords, type CsvRow } from './csv.js';
import { ImportError, type ParsedFile, type RawExecution } from './types.js';

export function isSheet(header: readonly string[]): boolean {
  const names = new Set(header.map((h) => h.toLowerCase()));
  return SHEET_REQUIRED.every((c) => names.has(c));
}

/** `T1059.001-3` (the plan's test number) → technique and number. */
export function parseTestNumber(s: string): { technique: string; number: number } | undefined {
  const m = /^(T\d{4}(?:\.\d{3})?)-(\d{1,4})$/i.exec(s.trim());
  return m ? { technique: m[1]!.toUpperCase(), number: Number(m[2]) } : undefined;
}

export function readSheet(file: string, rows: readonly CsvRow[]): ParsedFile {
  const { header, records } = csvRecords(rows);
  if (!isSheet(header)) throw new ImportError(`${file}: not an outcome sheet (columns ${SHEET_REQUIRED.join(', ')} expected; \`purplebook plan --format csv\` writes one)`);
  const out: RawExecution[] = [];
  const warnings: string[] = [];
  let empty = 0;
  for (const r of records) {
    const origin = `${file}:${r.line}`;
    const outcome = r.get('outcome').toLowerCase();
    const startText = r.get('start');
    const startedAt = startText ? normalizeTime(startText) : undefined;
    if (startText && !startedAt) {
      warnings.push(`${origin}: start "${startText.slice(0, 40)}" is not a time (row skipped)`);
      continue;
    }
    if (!outcome && !startedAt) {
      empty++;
      continue;
    }
    if (outcome && !isOutcome(outcome)) {
      warnings.push(`${origin}: unknown outcome "${outcome.slice(0, 40)}" (row skipped; one of not-run, blocked, not-detected, ran, logged, alerted, prevented)`);
      continue;
    }
    const recordedText = r.get('recorded_at');
    const recordedAt = recordedText ? normalizeTime(recordedText) : undefined;
    if (recordedText && !recordedAt) {
      warnings.push(`${origin}: recorded_at "${recordedText.slice(0, 40)}" is not a time (row skipped)`);
      continue;
    }
    const endText = r.get('end');
    const exerciseName = r.get('exercise');
    const exerciseDate = normalizeDate(r.get('exercise_date'));
    const threats = r.get('threats').split(LIST_SEPARATOR.trim()).map((t) => t.trim()).filter(Boolean);
    const number = parseTestNumber(r.get('test_number'));
    out.push({
      origin, technique: r.get('technique') || number?.technique || '', source: r.get('source') || undefined, testId: r.get('test_id') || undefined,
      testNumber: number?.number, testName: r.get('test_name') || undefined, platform: r.get('platform') || undefined,
      host: r.get('host') || undefined, user: r.get('user') || undefined, startedAt, endedAt: endText ? normalizeTime(endText) : undefined,
      exitStatus: integer(r.get('exit_status')),
      exercise: exerciseName ? { name: exerciseName, ...(exerciseDate ? { date: exerciseDate } : {}), ...(threats.length ? { threats } : {}), ...(r.get('stack') ? { stack: r.get('stack') } : {}) } : undefined,
      outcomes: outcome && isOutcome(outcome) ? [{
        outcome, rule: r.get('rule') || undefined, alertId: r.get('alert_id') || undefined, note: r.get('note') || undefined,
        recordedBy: r.get('recorded_by') || undefined, recordedAt,
      }] : [],
      ...(recordedAt ? { exact: true } : {}),
      ...(r.get('technique_raw') ? { techniqueRaw: r.get('technique_raw') } : {}),
    });
  }
  return { format: 'sheet', records: out, warnings, empty };
}
