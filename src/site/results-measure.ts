/**
 * The results measure appended to a matrix's data (results/matrix.ts has its levels and colours):
 * here, beside the matrix data it extends, because results/ sits below the site and the server.
 */
import { RESULT_LEVELS, RESULTS_LABEL, RESULTS_MEASURE, resultLevel } from '../results/matrix.js';
import type { TechniqueResults } from '../results/view.js';
import type { MatrixData, MatrixMeasure } from './model.js';

export function resultsMatrixMeasure(maxAgeDays: number): MatrixMeasure {
  return {
    id: RESULTS_MEASURE, label: RESULTS_LABEL, kind: 'outcome', edges: [],
    legend: RESULT_LEVELS.map((l, i) => ({ key: l.key, label: i === 1 ? `stale (every result older than ${maxAgeDays} days)` : l.label })),
    short: RESULT_LEVELS.map((l) => l.short),
  };
}

/**
 * A matrix's data with the results measure appended (a copy: the cached data stays as built).
 * Without `results`, every value is 0: the measure is listed, its values come with the data file.
 */
export function withResultsMeasure(data: MatrixData, results: ReadonlyMap<string, TechniqueResults> | undefined, maxAgeDays: number): MatrixData {
  const values: Record<string, number[]> = {};
  for (const [id, row] of Object.entries(data.values)) values[id] = [...row, resultLevel(results?.get(id))];
  return { ...data, measures: [...data.measures, resultsMatrixMeasure(maxAgeDays)], values };
}
