/**
 * What happened when a test ran, from the defender's side. The order is how favourable an
 * outcome is to the defence: a technique's "best outcome" is the highest it reached.
 *
 * - not-run: planned but not executed.
 * - blocked: the test could not be executed here (missing prerequisite, permissions, environment);
 *   it says nothing about the controls, unlike `prevented`.
 * - not-detected: it ran and nothing saw it: a confirmed gap.
 * - ran: it ran; what the defence saw is not recorded yet.
 * - logged: telemetry recorded it, no alert fired.
 * - alerted: a detection fired (the evidence names the rule).
 * - prevented: a control stopped the technique.
 */
export const OUTCOMES = ['not-run', 'blocked', 'not-detected', 'ran', 'logged', 'alerted', 'prevented'] as const;

export type Outcome = (typeof OUTCOMES)[number];

export function isOutcome(value: string): value is Outcome {
  return (OUTCOMES as readonly string[]).includes(value);
}

/** 0 (not-run) … 6 (prevented): the score of the results layer. */
export function outcomeRank(o: Outcome): number {
  return OUTCOMES.indexOf(o);
}

/** The more favourable of two outcomes (undefined counts as nothing recorded). */
export function betterOutcome(a: Outcome | undefined, b: Outcome | undefined): Outcome | undefined {
  if (!a) return b;
  if (!b) return a;
  return outcomeRank(b) > outcomeRank(a) ? b : a;
}

/** Outcomes that mean the test was executed against the controls. */
export const EXECUTED: ReadonlySet<Outcome> = new Set(['not-detected', 'ran', 'logged', 'alerted', 'prevented']);
