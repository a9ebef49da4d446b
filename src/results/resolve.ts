/**
 * Raw rows of a log → executions of the loaded knowledge base: the technique through the version
 * crosswalk (a log written before an ATT&CK upgrade names revoked ids), the test by its upstream
 * id. A row whose technique or test the knowledge base does not know is left out with a warning
 * that names the row; everything else is kept.
 */
import type { Crosswalk } from '../crosswalk/translate.js';
import { translated } from '../crosswalk/translate.js';
import { normalizeTechniqueId } from '../resolve.js';
import type { CatalogTest, TestCatalog } from './catalog.js';
import { MAX_TEXT } from './limits.js';
import type { ExecutionInput, OutcomeInput } from './model.js';
import type { RawExecution } from './importers/types.js';

export interface ResolveContext {
  crosswalk: Crosswalk;
  catalog: TestCatalog;
  /** Index of the file in the batch (provenance). */
  file?: number;
}

export interface Resolved {
  records: ExecutionInput[];
  warnings: string[];
  /** Revoked ids carried to the technique that replaced them: "T1562.001 → T1685". */
  carried: Map<string, number>;
}

const cap = (s: string | undefined): string | undefined => (s === undefined ? undefined : s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);
const quote = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 59)}…` : s);

function findTest(r: RawExecution, ids: readonly string[], catalog: TestCatalog): CatalogTest | string {
  if (r.testId) {
    const t = catalog.find(r.testId, r.source) ?? (r.source ? undefined : catalog.find(r.testId));
    return t ?? `unknown test ${quote(r.testId)}${r.source ? ` of ${r.source}` : ''}`;
  }
  if (r.testNumber !== undefined && (!r.source || r.source === 'atomic-red-team')) {
    const t = catalog.atomicNumber([normalizeTechniqueId(r.technique), ...ids], r.testNumber);
    return t ?? `no Atomic test ${normalizeTechniqueId(r.technique)}-${r.testNumber}`;
  }
  return 'no test id';
}

export function resolveRecords(raw: readonly RawExecution[], ctx: ResolveContext): Resolved {
  const out: Resolved = { records: [], warnings: [], carried: new Map() };
  for (const r of raw) {
    if (!r.technique) {
      out.warnings.push(`${r.origin}: no technique id (row skipped)`);
      continue;
    }
    const t = ctx.crosswalk.translate(r.technique);
    if (!translated(t)) {
      out.warnings.push(`${r.origin}: technique ${quote(r.technique)}: ${t.notes[0] ?? t.outcome} (row skipped)`);
      continue;
    }
    const test = findTest(r, t.ids, ctx.catalog);
    if (typeof test === 'string') {
      out.warnings.push(`${r.origin}: ${test} in the knowledge base (row skipped)`);
      continue;
    }
    // A technique split in two: the half the test maps to.
    const technique = t.ids.find((id) => test.techniques.includes(id)) ?? t.ids[0]!;
    if (t.outcome === 'replaced') {
      const key = `${t.id} → ${technique}`;
      out.carried.set(key, (out.carried.get(key) ?? 0) + 1);
    }
    const outcomes: OutcomeInput[] = r.outcomes.map((o) => ({ ...o, rule: cap(o.rule), alertId: cap(o.alertId), note: cap(o.note), recordedBy: cap(o.recordedBy) }));
    out.records.push({
      technique, techniqueRaw: r.techniqueRaw ? normalizeTechniqueId(r.techniqueRaw) : t.id, source: test.source, testId: test.id,
      testName: cap(r.testName ?? test.name), platform: cap(r.platform ?? (test.platforms.length === 1 ? test.platforms[0] : undefined)),
      host: cap(r.host), user: cap(r.user), startedAt: r.startedAt, endedAt: r.endedAt, exitStatus: r.exitStatus,
      exercise: r.exercise && { ...r.exercise, name: cap(r.exercise.name)!, stack: cap(r.exercise.stack) }, outcomes,
      ...(r.exact ? { exact: true } : {}), ...(ctx.file !== undefined ? { file: ctx.file } : {}),
    });
  }
  return out;
}
