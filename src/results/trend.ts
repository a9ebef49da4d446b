/** Validated techniques per exercise, in date order: is the defence getting better? */
import type { OwnRuleSet } from '../rules/types.js';
import type { ExerciseRow } from './model.js';
import { EXECUTED } from './outcomes.js';
import { alertCounts, validates, type ExecutionView } from './view.js';

export interface TrendRow {
  exercise: string;
  date: string | null;
  executions: number;
  /** Techniques with an execution that ran against the controls. */
  tested: number;
  /** Techniques validated in this exercise. */
  validated: number;
  /** Distinct techniques validated in this exercise or an earlier one. */
  validatedToDate: number;
}

export function trend(exercises: readonly ExerciseRow[], views: readonly ExecutionView[], rules?: OwnRuleSet): TrendRow[] {
  const ownAlert = alertCounts(rules);
  const ordered = [...exercises].sort((a, b) => ((a.date ?? '') < (b.date ?? '') ? -1 : (a.date ?? '') > (b.date ?? '') ? 1 : a.id - b.id));
  const soFar = new Set<string>();
  return ordered.map((x) => {
    const mine = views.filter((e) => e.exercise === x.name);
    const tested = new Set<string>();
    const validated = new Set<string>();
    for (const e of mine) {
      const o = e.current;
      if (!o || !EXECUTED.has(o.outcome)) continue;
      for (const t of e.techniques) {
        tested.add(t);
        if (validates(o, ownAlert)) validated.add(t);
      }
    }
    for (const t of validated) soFar.add(t);
    return { exercise: x.name, date: x.date, executions: mine.length, tested: tested.size, validated: validated.size, validatedToDate: soFar.size };
  });
}
