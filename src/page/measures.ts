/**
 * What a matrix cell or a Navigator layer can be coloured by: a number per technique summary.
 * Colours are the views' business (render/palette.ts); this module only measures.
 */
import type { KnowledgeBase } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import type { TechniqueSummary } from './summary.js';
import type { ValidationClass } from './types.js';
import { VALIDATION_CLASSES } from './validation.js';

/**
 * Validation classes from worst to best: the ordinal is the class measure's score, so a layer's
 * gradient and the site's colours agree.
 */
export const VALIDATION_ORDER: readonly ValidationClass[] = VALIDATION_CLASSES;

export type MeasureKind = 'count' | 'class';

export interface Measure {
  /** `controls`, `detections`, `tests`, `validation` or `source-<name>`. */
  id: string;
  label: string;
  kind: MeasureKind;
  description: string;
  value(t: TechniqueSummary): number;
}

const FIXED: Measure[] = [
  { id: 'validation', label: 'Validation class', kind: 'class', description: 'whether public detections and public tests exist', value: (t) => VALIDATION_ORDER.indexOf(t.summary.validation) },
  { id: 'controls', label: 'Controls', kind: 'count', description: 'policy / process controls (distinct resources)', value: (t) => t.summary.policy_volume },
  { id: 'detections', label: 'Detections', kind: 'count', description: 'executable detection rules (distinct resources; guidance not counted)', value: (t) => t.summary.detection_volume },
  { id: 'tests', label: 'Tests', kind: 'count', description: 'offensive security tests (distinct resources)', value: (t) => t.summary.test_volume },
];

export const DEFAULT_MEASURE = 'validation';

/** The fixed measures, then one per loaded source (of the stack), in page order. */
export function listMeasures(kb: KnowledgeBase, stack?: Stack): Measure[] {
  const perSource = kb.sources().filter((s) => s.loaded && inStack(stack, s.name)).map((s): Measure => ({
    id: `source-${s.name}`, label: s.title, kind: 'count', description: `resources of ${s.title}`, value: (t) => t.counts[s.name] ?? 0,
  }));
  return [...FIXED, ...perSource];
}

export function findMeasure(kb: KnowledgeBase, id: string, stack?: Stack): Measure | undefined {
  return listMeasures(kb, stack).find((m) => m.id === id);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Lower bounds of count levels 1…n from the data: 1, then quantiles of the non-zero values, so a
 * measure with a long tail (a few techniques with hundreds of rules) still spreads its colours.
 */
export function countEdges(values: readonly number[]): number[] {
  const nz = values.filter((v) => v > 0).sort((a, b) => a - b);
  const edges = [1];
  if (!nz.length) return edges;
  for (const q of [0.35, 0.6, 0.8, 0.95]) {
    const v = quantile(nz, q);
    if (v > edges[edges.length - 1]!) edges.push(v);
  }
  return edges;
}

/** Level of a count: 0 when zero, else the number of edges it reaches. */
export function countLevel(value: number, edges: readonly number[]): number {
  let level = 0;
  for (const e of edges) if (value >= e) level++;
  return level;
}
