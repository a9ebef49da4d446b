/**
 * The order in which a team should close its gaps: techniques used by more of the selected threats
 * first; among equals, those with public detections ready to adopt; then those with public tests
 * to validate a new rule with. Volumes break the remaining ties (more to adopt first), then the id.
 *
 * "Ready to adopt" means a rule or analytic a team can take over. ATT&CK's own detection
 * strategies describe what to look for without a query, and exist for every technique: counting
 * them would make every technique look adoptable, so they are left out of this key.
 */

/** Detection sources whose resources are descriptions, not rules to adopt. */
export const NOT_ADOPTABLE: ReadonlySet<string> = new Set(['attack-detection-strategies']);

export interface PriorityInput {
  id: string;
  /** Selected threats using the technique (0 without a threat selection). */
  threats: number;
  /** Public detections from sources with rules to adopt (see NOT_ADOPTABLE). */
  adoptableDetections: number;
  testVolume: number;
}

export function comparePriority(a: PriorityInput, b: PriorityInput): number {
  return b.threats - a.threats
    || Number(b.adoptableDetections > 0) - Number(a.adoptableDetections > 0)
    || Number(b.testVolume > 0) - Number(a.testVolume > 0)
    || b.adoptableDetections - a.adoptableDetections
    || b.testVolume - a.testVolume
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The inputs sorted by priority (a new array). */
export function prioritize<T extends PriorityInput>(items: readonly T[]): T[] {
  return [...items].sort(comparePriority);
}
