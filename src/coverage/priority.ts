/**
 * The order in which a team should close its gaps: techniques used by more of the selected threats
 * first; among equals, those with public detections ready to adopt; then those with public tests
 * to validate a new rule with. Volumes break the remaining ties (more to adopt first), then the id.
 *
 * "Ready to adopt" means an executable rule a team can take over: the page's detection volume,
 * which leaves guidance out (ATT&CK detection strategies exist for every technique and have no
 * query; see page/validation.ts), for the team's control stack when it names one.
 */

export interface PriorityInput {
  id: string;
  /** Selected threats using the technique (0 without a threat selection). */
  threats: number;
  /** Executable public detection rules (guidance left out). */
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
