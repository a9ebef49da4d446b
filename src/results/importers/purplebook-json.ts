/**
 * `results export --format json`: the whole store (exercises, executions, every outcome with who
 * recorded it and when), read back by `results import` so that exporting, importing elsewhere
 * and exporting again gives the same document.
 */
import { isOutcome } from '../outcomes.js';
import { normalizeDate, normalizeTime } from '../time.js';
import type { ExerciseSpec, OutcomeInput } from '../model.js';
import { checkEntries, ImportError, type ParsedFile, type RawExecution } from './types.js';

export const EXPORT_FORMAT = 'purplebook-results';
export const EXPORT_VERSION = 1;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export function isPurplebookExport(doc: unknown): doc is Obj {
  return isObj(doc) && doc.format === EXPORT_FORMAT;
}

export function readPurplebookJson(file: string, doc: unknown): ParsedFile {
  if (!isPurplebookExport(doc)) throw new ImportError(`${file}: not a Purplebook results export ("format": "${EXPORT_FORMAT}" expected)`);
  if (doc.version !== EXPORT_VERSION) throw new ImportError(`${file}: results export version ${String(doc.version)}; this Purplebook reads version ${EXPORT_VERSION}`);
  const entries = (list: unknown) => (Array.isArray(list) ? list.length : 0);
  const executionsOf = Array.isArray(doc.executions) ? (doc.executions as unknown[]) : [];
  checkEntries(file, entries(doc.exercises) + executionsOf.reduce((n: number, e) => n + 1 + (isObj(e) ? entries(e.outcomes) : 0), 0), 'exercises, executions and outcomes');
  const exercises = new Map<string, ExerciseSpec>();
  for (const x of Array.isArray(doc.exercises) ? doc.exercises : []) {
    if (!isObj(x) || !text(x.name)) continue;
    const date = typeof x.date === 'string' ? normalizeDate(x.date) : undefined;
    const threats = Array.isArray(x.threats) ? x.threats.filter((t): t is string => typeof t === 'string') : [];
    exercises.set(text(x.name)!, { name: text(x.name)!, ...(date ? { date } : {}), ...(threats.length ? { threats } : {}), ...(text(x.stack) ? { stack: text(x.stack) } : {}) });
  }
  const records: RawExecution[] = [];
  const warnings: string[] = [];
  (Array.isArray(doc.executions) ? doc.executions : []).forEach((e: unknown, i: number) => {
    const origin = `${file}: executions[${i}]`;
    if (!isObj(e)) {
      warnings.push(`${origin}: not an object (skipped)`);
      return;
    }
    const startedAt = e.startedAt === '' || e.startedAt === null || e.startedAt === undefined ? '' : normalizeTime(e.startedAt);
    if (startedAt === undefined) {
      warnings.push(`${origin}: startedAt is not a time (skipped)`);
      return;
    }
    const outcomes: OutcomeInput[] = [];
    for (const o of Array.isArray(e.outcomes) ? e.outcomes : []) {
      if (!isObj(o) || typeof o.outcome !== 'string' || !isOutcome(o.outcome)) {
        warnings.push(`${origin}: an outcome that is not one of the known ones (left out)`);
        continue;
      }
      outcomes.push({
        outcome: o.outcome, rule: text(o.rule), alertId: text(o.alertId), note: text(o.note), recordedBy: text(o.recordedBy),
        recordedAt: normalizeTime(o.recordedAt),
      });
    }
    const name = text(e.exercise);
    records.push({
      origin, technique: text(e.technique) ?? '', techniqueRaw: text(e.techniqueRaw), source: text(e.source), testId: text(e.testId),
      testName: text(e.testName), platform: text(e.platform), host: text(e.host), user: text(e.user), startedAt: startedAt || undefined,
      endedAt: normalizeTime(e.endedAt), exitStatus: typeof e.exitStatus === 'number' && Number.isInteger(e.exitStatus) ? e.exitStatus : undefined,
      exercise: name ? exercises.get(name) ?? { name } : undefined, outcomes, exact: true,
    });
  });
  return { format: 'purplebook-json', records, warnings, empty: 0 };
}
