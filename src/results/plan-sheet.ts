/**
 * The outcome sheet of a plan (`plan --format csv`): one row per planned test, its outcome
 * columns empty for the team to fill in, and beside it the test's previous outcome when a
 * results file is given. `results import` reads the filled-in sheet back.
 */
import type { Plan } from '../coverage/plan.js';
import type { ExecutionRow } from './model.js';
import { sheetCsv } from './render.js';
import { LIST_SEPARATOR, type SheetRow } from './sheet.js';

/** "alerted 2025-03-04 (rule win_mimikatz)" per `source\0testId`: the current outcome of the test's latest execution. */
export function previousOutcomes(rows: readonly ExecutionRow[]): (source: string, testId: string | null) => string | undefined {
  const latest = new Map<string, ExecutionRow>();
  const when = (e: ExecutionRow) => e.startedAt || e.outcomes.at(-1)?.recordedAt || '';
  for (const e of rows) {
    const k = `${e.source}\u0000${e.testId.toLowerCase()}`;
    const seen = latest.get(k);
    if (e.outcomes.length && (!seen || when(e) > when(seen))) latest.set(k, e);
  }
  return (source, testId) => {
    const e = testId ? latest.get(`${source}\u0000${testId.toLowerCase()}`) : undefined;
    const o = e?.outcomes.at(-1);
    if (!e || !o) return undefined;
    return `${o.outcome} ${when(e).slice(0, 10)}${o.rule ? ` (rule ${o.rule})` : ''}`;
  };
}

export function planSheet(plan: Plan, previous?: (source: string, testId: string | null) => string | undefined): string {
  const threats = plan.threats.map((t) => (t.kind === 'list' ? t.name : t.id)).join(LIST_SEPARATOR);
  const rows: SheetRow[] = [];
  for (const tactic of plan.tactics) {
    for (const t of tactic.techniques) {
      for (const test of t.tests) {
        rows.push({
          threats, tactic: tactic.name, technique: t.id, technique_name: t.name, source: test.source, test_id: test.id, test_number: test.number,
          test_name: test.name, platform: test.platforms.join('/'), previous_outcome: previous?.(test.source, test.id),
        });
      }
    }
  }
  return sheetCsv(rows);
}
