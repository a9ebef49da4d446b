/**
 * The ONE definition of a technique's volumes and validation class, used by pages, matrices,
 * `gaps`, exports, the API, coverage, plans, layers and line-ups:
 *
 * - controls = resources of policy sources; tests = resources of test sources;
 * - detections = executable rules of detection sources; guidance (ATT&CK detection strategies,
 *   hunt write-ups, pseudocode-only analytics) is counted apart and never makes a technique detectable;
 * - the class follows from detections and tests.
 *
 * A resource belongs to one source, so per-source counts add up to distinct resources: the same
 * function serves a page (its source blocks) and a summary re-computed for a control stack.
 */
import type { Stack } from '../kb/stack.js';
import { inStack } from '../kb/stack.js';
import type { Pillar } from '../core/types.js';
import type { Page, PageItem, PageSummary, ValidationClass } from './types.js';

/** One source's resources on one technique. */
export interface SourceTally {
  source: string;
  pillar: Pillar;
  /** Resources of the source on the technique (rules and guidance). */
  count: number;
  /** How many of them are guidance (detection sources only). */
  guidance: number;
}

export function validationClass(detections: number, tests: number): ValidationClass {
  if (tests && detections) return 'testable and detectable';
  if (detections) return 'detectable, no public test';
  if (tests) return 'testable, no public detection';
  return 'neither';
}

/** Executable rules of a tally: what counts as detections. */
export const rulesOf = (t: Pick<SourceTally, 'pillar' | 'count' | 'guidance'>): number => (t.pillar === 'detection' ? t.count - t.guidance : 0);

/** Volumes and class from per-source tallies; sources outside the stack are left out. */
export function summaryOf(tallies: Iterable<SourceTally>, stack?: Stack): PageSummary {
  let policy = 0;
  let detection = 0;
  let guidance = 0;
  let test = 0;
  for (const t of tallies) {
    if (!inStack(stack, t.source)) continue;
    if (t.pillar === 'policy') policy += t.count;
    else if (t.pillar === 'test') test += t.count;
    else {
      detection += rulesOf(t);
      guidance += t.guidance;
    }
  }
  return { policy_volume: policy, detection_volume: detection, guidance_volume: guidance, test_volume: test, validation: validationClass(detection, test) };
}

/** Validation classes from worst to best (the order of matrices, legends and layer scores). */
export const VALIDATION_CLASSES: readonly ValidationClass[] = [
  'neither', 'testable, no public detection', 'detectable, no public test', 'testable and detectable',
];

/** How many techniques fall in each class, in VALIDATION_CLASSES order. */
export function classCounts(summaries: Iterable<{ validation: ValidationClass }>): Record<ValidationClass, number> {
  const out = Object.fromEntries(VALIDATION_CLASSES.map((c) => [c, 0])) as Record<ValidationClass, number>;
  for (const s of summaries) out[s.validation]++;
  return out;
}

/** A page's guidance, by source in page order: what the "Guidance" line lists. */
export function guidanceOf(page: Page): { source: string; title: string; items: PageItem[] }[] {
  const out: { source: string; title: string; items: PageItem[] }[] = [];
  for (const section of page.sections) {
    for (const src of section.sources) {
      const items = src.items.filter((i) => i.kind === 'guidance');
      if (items.length) out.push({ source: src.source, title: src.title, items });
    }
  }
  return out;
}
