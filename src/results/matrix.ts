/**
 * The `results` measure of the site's and the server's matrices: per technique the best outcome
 * of its fresh executions, "stale" when every result is older than the window, read the same way
 * as the Navigator layer (layer.ts) and drawn in its colours. Results change without a rebuild,
 * so the measure is added to a matrix's data when it is served or written, never cached with it
 * (site/results-measure.ts).
 */
import { NO_RESULT_COLOUR, OUTCOME_COLOURS, STALE_COLOUR } from './layer.js';
import { OUTCOMES, outcomeRank } from './outcomes.js';
import type { TechniqueResults } from './view.js';

export const RESULTS_MEASURE = 'results';
export const RESULTS_LABEL = 'Results (best outcome)';

export interface ResultLevel {
  /** Colour key of the cells and swatches: `r0`…`r8`. */
  key: string;
  label: string;
  /** What the cell shows (colour is never the only cue). */
  short: string;
  fill: string;
  text: string;
}

/**
 * A cell's value is its index here: 0 no result, 1 stale, then the outcomes from worst to best
 * (2 not-run … 8 prevented). Every fill is light: dark text keeps a contrast above 4.5:1 (tested).
 */
export const RESULT_LEVELS: readonly ResultLevel[] = [
  { key: 'r0', label: 'no result', short: 'none', fill: NO_RESULT_COLOUR, text: '#1b1b1b' },
  { key: 'r1', label: 'stale', short: 'stale', fill: STALE_COLOUR, text: '#1b1b1b' },
  ...OUTCOMES.map((o, i) => ({ key: `r${i + 2}`, label: o, short: o, fill: OUTCOME_COLOURS[o], text: '#1b1b1b' })),
];

/** Level of one technique's results, as the layer scores them (fresh executions without an outcome: no result). */
export function resultLevel(r: TechniqueResults | undefined): number {
  if (r?.best) return 2 + outcomeRank(r.best);
  return r?.stale ? 1 : 0;
}

/** CSS of the result colours, beside the other palettes. */
export function resultsPaletteCss(): string {
  return RESULT_LEVELS.map((l) => `[data-c="${l.key}"] { background: ${l.fill}; color: ${l.text}; }`).join('\n');
}
