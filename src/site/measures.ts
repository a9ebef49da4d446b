/**
 * What a matrix cell or a Navigator layer can be coloured by, computed from the same Page the
 * technique page shows: the CLI, the site, the server and the layers never disagree.
 */
import type { Domain, Status } from '../attack/types.js';
import type { KnowledgeBase, SourceRow, TechniqueRow } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import { buildPage } from '../page/build.js';
import type { Page, PageSummary, ValidationClass } from '../page/types.js';
import { summaryOf, VALIDATION_CLASSES } from '../page/validation.js';

/** One technique reduced to what filters, matrices and layers need. */
export interface TechniqueSummary {
  id: string;
  name: string;
  domain: Domain;
  status: Status;
  isSub: boolean;
  parent: string | null;
  /** Tactic shortnames in matrix order. */
  tactics: string[];
  platforms: string[];
  summary: PageSummary;
  /** Direct (non-deprecated) resources per source name, as on the page. */
  counts: Record<string, number>;
  /** Of those, the guidance resources per source (sources with any only). */
  guidance: Record<string, number>;
}

export function summarize(page: Page, row: TechniqueRow): TechniqueSummary {
  const counts: Record<string, number> = {};
  const guidance: Record<string, number> = {};
  for (const section of page.sections) {
    for (const src of section.sources) {
      counts[src.source] = src.count;
      if (src.guidance) guidance[src.source] = src.guidance;
    }
  }
  return {
    id: page.id, name: page.name, domain: page.domain, status: page.status, isSub: row.isSub, parent: row.parent,
    tactics: row.tactics, platforms: page.platforms, summary: page.summary, counts, guidance,
  };
}

/** Every technique of the knowledge base (all statuses), in domain then id order. */
export function summarizeAll(kb: KnowledgeBase, stack?: Stack): TechniqueSummary[] {
  const out: TechniqueSummary[] = [];
  for (const row of kb.techniques()) {
    const page = buildPage(kb, row.id, { stack });
    if (page) out.push(summarize(page, row));
  }
  return out;
}

/**
 * A summary of every source re-computed for a control stack, without building the page again:
 * the counts of the stack's sources, and volumes and class by the one definition (summaryOf).
 */
export function forStack(t: TechniqueSummary, sources: readonly SourceRow[], stack: Stack | undefined): TechniqueSummary {
  if (!stack) return t;
  const counts: Record<string, number> = {};
  const guidance: Record<string, number> = {};
  const tallies = [];
  for (const s of sources) {
    if (!inStack(stack, s.name) || t.counts[s.name] === undefined) continue;
    counts[s.name] = t.counts[s.name]!;
    if (t.guidance[s.name]) guidance[s.name] = t.guidance[s.name]!;
    tallies.push({ source: s.name, pillar: s.pillar, count: counts[s.name]!, guidance: guidance[s.name] ?? 0 });
  }
  return { ...t, counts, guidance, summary: summaryOf(tallies) };
}

/** `forStack` over a list. */
export function summariesForStack(all: readonly TechniqueSummary[], sources: readonly SourceRow[], stack: Stack | undefined): TechniqueSummary[] {
  return stack ? all.map((t) => forStack(t, sources, stack)) : [...all];
}

/**
 * Validation classes from worst to best: the ordinal is the class measure's score, so a layer's
 * gradient and the site's colours agree.
 */
export const VALIDATION_ORDER: readonly ValidationClass[] = VALIDATION_CLASSES;

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

export type MeasureKind = 'count' | 'class';

export interface Measure {
  /** `controls`, `detections`, `tests`, `validation` or `source-<name>`. */
  id: string;
  label: string;
  kind: MeasureKind;
  description: string;
  value(t: TechniqueSummary): number;
}

export interface LegendEntry {
  label: string;
  /** Colour key: `m0`…`m5` (counts) or `v0`…`v3` (validation classes). */
  key: string;
  fill: string;
  text: string;
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
