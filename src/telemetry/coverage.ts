/**
 * A coverage report read with a telemetry profile: the public detections a team can adopt are the
 * rules its telemetry can run, so gaps are ranked by those, and each technique says what the
 * blocked ones need.
 */
import type { CoverageReport } from '../coverage/coverage.js';
import { prioritize } from '../coverage/priority.js';
import type { TelemetryAnalysis } from './analysis.js';

/** Needs listed per technique; the JSON of `telemetry` has every rule. */
const NEEDS_MAX = 5;

/** Most-needed first: the log sources the most blocked rules of the technique wait for. */
export function topNeeds(blocked: { needs: string[] }[], max = NEEDS_MAX): string[] {
  const n = new Map<string, number>();
  for (const r of blocked) for (const x of r.needs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, max).map(([x]) => x);
}

export function applyTelemetry(report: CoverageReport, a: TelemetryAnalysis, maxNext = 10): void {
  const byId = new Map(a.techniques.map((t) => [t.id, t]));
  for (const t of report.techniques) {
    const x = byId.get(t.id);
    const runnable = x?.runnable.length ?? 0;
    t.adoptableDetections = runnable;
    t.telemetry = { runnable, blocked: x?.blocked.length ?? 0, needs: topNeeds(x?.blocked ?? []) };
  }
  const uncovered = prioritize(report.techniques.filter((t) => t.status !== 'covered').map((t) => ({ id: t.id, threats: t.threats.length, adoptableDetections: t.adoptableDetections, testVolume: t.testVolume, t })));
  uncovered.forEach((u, i) => {
    u.t.priority = i + 1;
  });
  report.gaps = uncovered.map((u) => u.id);
  report.telemetry = {
    profile: a.profile.entries, detectable: a.summary.detectable,
    next: a.next.slice(0, maxNext).map((n) => ({ label: n.label, profileEntry: n.profileEntry, techniques: n.techniques, rules: n.rules })),
  };
}
