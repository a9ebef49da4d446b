/** Results as a person reads them (markdown), as a spreadsheet (the outcome sheet's CSV) and as JSON (the export). */
import { csvRow } from '../render/csv.js';
import { mdText } from '../render/markdown.js';
import { EXPORT_FORMAT, EXPORT_VERSION } from './importers/purplebook-json.js';
import type { ExecutionRow, ExerciseRow, OutcomeRow } from './model.js';
import { LIST_SEPARATOR, SHEET_COLUMNS, type SheetRow } from './sheet.js';
import type { TrendRow } from './trend.js';

export function sheetCsv(rows: readonly SheetRow[]): string {
  return csvRow([...SHEET_COLUMNS]) + rows.map((r) => csvRow(SHEET_COLUMNS.map((c) => r[c] ?? ''))).join('');
}

function executionCells(e: ExecutionRow, exercises: Map<string, ExerciseRow>): SheetRow {
  const x = exercises.get(e.exercise);
  return {
    exercise: e.exercise, exercise_date: x?.date ?? e.exerciseDate, threats: x?.threats.join(LIST_SEPARATOR), stack: x?.stack, technique: e.technique,
    technique_raw: e.techniqueRaw, source: e.source, test_id: e.testId, test_name: e.testName, platform: e.platform, host: e.host, user: e.user,
    start: e.startedAt, end: e.endedAt, exit_status: e.exitStatus,
  };
}

function outcomeCells(o: OutcomeRow): SheetRow {
  return { outcome: o.outcome, rule: o.rule, alert_id: o.alertId, note: o.note, recorded_by: o.recordedBy, recorded_at: o.recordedAt };
}

const oldestFirst = (rows: readonly ExecutionRow[]) => [...rows].sort((a, b) => a.id - b.id);

/** Every outcome as one row (an execution without one as a row of its own): `results import` reads it back. */
export function exportCsv(rows: readonly ExecutionRow[], exercises: readonly ExerciseRow[]): string {
  const byName = new Map(exercises.map((x) => [x.name, x]));
  const out: SheetRow[] = [];
  for (const e of oldestFirst(rows)) {
    const base = executionCells(e, byName);
    if (!e.outcomes.length) out.push(base);
    for (const o of e.outcomes) out.push({ ...base, ...outcomeCells(o) });
  }
  return sheetCsv(out);
}

export function exportJson(rows: readonly ExecutionRow[], exercises: readonly ExerciseRow[]): string {
  const used = new Set(rows.map((e) => e.exercise));
  return `${JSON.stringify({
    format: EXPORT_FORMAT, version: EXPORT_VERSION,
    exercises: exercises.filter((x) => used.has(x.name)).map((x) => ({ name: x.name, date: x.date, threats: x.threats, stack: x.stack })),
    executions: oldestFirst(rows).map((e) => ({
      exercise: e.exercise, technique: e.technique, techniqueRaw: e.techniqueRaw, source: e.source, testId: e.testId, testName: e.testName,
      platform: e.platform, host: e.host, user: e.user, startedAt: e.startedAt, endedAt: e.endedAt, exitStatus: e.exitStatus,
      outcomes: e.outcomes.map((o) => ({ outcome: o.outcome, rule: o.rule, alertId: o.alertId, note: o.note, recordedBy: o.recordedBy, recordedAt: o.recordedAt })),
    })),
  }, null, 2)}\n`;
}

/** One row per execution with its current outcome (importing it back adds nothing). */
export function listCsv(rows: readonly ExecutionRow[], exercises: readonly ExerciseRow[]): string {
  const byName = new Map(exercises.map((x) => [x.name, x]));
  return sheetCsv(rows.map((e) => {
    const last = e.outcomes[e.outcomes.length - 1];
    return { ...executionCells(e, byName), ...(last ? outcomeCells(last) : {}) };
  }));
}

export function listJson(rows: readonly ExecutionRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

const cell = (s: string | number | null | undefined) => (s === null || s === undefined || s === '' ? '–' : mdText(String(s)));

export function evidenceOf(o: OutcomeRow | undefined): string {
  if (!o) return '';
  return [o.rule && `rule ${o.rule}`, o.alertId && `alert ${o.alertId}`, o.note].filter(Boolean).join(' · ');
}

export function listMarkdown(rows: readonly ExecutionRow[], title: string): string {
  const out = [`# ${mdText(title)}`, ''];
  if (!rows.length) return `${out.join('\n')}No results recorded.\n`;
  out.push(`${rows.length} execution${rows.length === 1 ? '' : 's'}, newest first; the outcome is the last one recorded (history: \`--format json\`).`, '');
  out.push('| Started (UTC) | Exercise | Technique | Test | Host | Outcome | Evidence | Recorded |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const e of rows) {
    const last = e.outcomes[e.outcomes.length - 1];
    const technique = e.technique === e.techniqueRaw ? e.technique : `${e.technique} (logged as ${e.techniqueRaw})`;
    out.push(`| ${cell(e.startedAt || 'unknown')} | ${cell(e.exercise)} | ${cell(technique)} | ${cell(`${e.source} ${e.testId}${e.testName ? ` ${e.testName}` : ''}`)} | ${cell(e.host)} | `
      + `${cell(last?.outcome ?? 'none')}${e.outcomes.length > 1 ? ` (${e.outcomes.length} recorded)` : ''} | ${cell(evidenceOf(last))} | ${cell(last ? `${last.recordedAt}${last.recordedBy ? ` by ${last.recordedBy}` : ''}` : '')} |`);
  }
  return `${out.join('\n')}\n`;
}

export function trendMarkdown(rows: readonly TrendRow[], rulesNote: string): string {
  const out = ['# Validated techniques per exercise', '', rulesNote, ''];
  if (!rows.length) return `${out.join('\n')}No exercise recorded.\n`;
  out.push('| Date | Exercise | Executions | Techniques tested | Validated | Validated to date |', '| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) out.push(`| ${cell(r.date)} | ${cell(r.exercise)} | ${r.executions} | ${r.tested} | ${r.validated} | ${r.validatedToDate} |`);
  return `${out.join('\n')}\n`;
}

export function trendCsv(rows: readonly TrendRow[]): string {
  return csvRow(['date', 'exercise', 'executions', 'tested', 'validated', 'validated_to_date'])
    + rows.map((r) => csvRow([r.date, r.exercise, r.executions, r.tested, r.validated, r.validatedToDate])).join('');
}
