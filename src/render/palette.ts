/**
 * The colours of measures: one palette for the site's matrices, its legends and the Navigator
 * layers, so a cell and a layer of the same measure always agree.
 */
import { VALIDATION_ORDER, type Measure } from '../page/measures.js';

/**
 * Fill and text colour of each validation class (text contrast ≥ 4.5:1, checked by a test). The fills
 * are Okabe–Ito orange and bluish green, Paul Tol's light cyan and a pale peach: under simulated
 * protanopia, deuteranopia and tritanopia (Machado et al. 2009) every pair stays ≥ 25 ΔE*ab apart,
 * which test/web/palette.test.ts checks. Each cell also shows the class as a word.
 */
export const VALIDATION_COLORS: readonly { fill: string; text: string; short: string }[] = [
  { fill: '#fddbc7', text: '#1b1b1b', short: 'none' },
  { fill: '#e69f00', text: '#1b1b1b', short: 'test' },
  { fill: '#99ddff', text: '#1b1b1b', short: 'detect' },
  { fill: '#009e73', text: '#111111', short: 'both' },
];

/** Sequential purple scale for counts: level 0 is "nothing", then up to five buckets. */
export const COUNT_COLORS: readonly { fill: string; text: string }[] = [
  { fill: '#eeeeee', text: '#1b1b1b' },
  { fill: '#ebe1f5', text: '#1b1b1b' },
  { fill: '#d4bdea', text: '#1b1b1b' },
  { fill: '#b48fd8', text: '#1b1b1b' },
  { fill: '#7d4bb3', text: '#ffffff' },
  { fill: '#4b1f7c', text: '#ffffff' },
];

export interface LegendEntry {
  label: string;
  /** Colour key: `m0`…`m5` (counts) or `v0`…`v3` (validation classes). */
  key: string;
  fill: string;
  text: string;
}

/**
 * Legend of a measure. Count levels use the top of the scale, so the darkest colour always means
 * "the most" whatever the number of edges.
 */
export function legendFor(measure: Measure, edges: readonly number[]): LegendEntry[] {
  if (measure.kind === 'class') {
    return VALIDATION_ORDER.map((label, i) => ({ label, key: `v${i}`, ...VALIDATION_COLORS[i]! }));
  }
  const out: LegendEntry[] = [{ label: '0', key: 'm0', ...COUNT_COLORS[0]! }];
  edges.forEach((lo, i) => {
    const next = edges[i + 1];
    const label = next === undefined ? `${lo}+` : next - 1 === lo ? String(lo) : `${lo}–${next - 1}`;
    const key = colourKey(measure, i + 1, edges.length);
    out.push({ label, key, ...COUNT_COLORS[Number(key.slice(1))]! });
  });
  return out;
}

/** Colour key of a count level: levels map onto the top of the scale (m5 is always the highest level). */
export function countKey(level: number, levels: number): string {
  return level === 0 ? 'm0' : `m${COUNT_COLORS.length - 1 - (levels - level)}`;
}

export function colourKey(measure: Pick<Measure, 'kind'>, level: number, levels: number): string {
  return measure.kind === 'class' ? `v${level}` : countKey(level, levels);
}

export function colourOf(key: string): { fill: string; text: string } {
  const n = Number(key.slice(1));
  return key.startsWith('v') ? VALIDATION_COLORS[n]! : COUNT_COLORS[n]!;
}
