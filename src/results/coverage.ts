/**
 * Coverage with results: per technique, whether a test of it ran (within the freshness window)
 * and whether the defence was validated (prevented, or alerted by an own rule); and the summary
 * line counts. Added to a computed coverage report, so the coverage analysis itself stays as is.
 */
import type { CoverageReport } from '../coverage/coverage.js';
import { EXECUTED } from './outcomes.js';
import type { CoverageResults, TechniqueResultSummary } from './coverage-types.js';
import type { TechniqueResults } from './view.js';

export type { CoverageResults, TechniqueResultSummary };

export function summarizeResults(r: TechniqueResults): TechniqueResultSummary {
  return { best: r.best ?? null, validated: r.validated, executions: r.executions.length, lastRun: r.lastRun || null, stale: r.stale };
}

/** Adds `results` to every technique of the report that has some, and the counts to the report. */
export function addResults(report: CoverageReport, results: ReadonlyMap<string, TechniqueResults>, info: Pick<CoverageResults, 'file' | 'maxAgeDays' | 'alerts'>): void {
  let validated = 0;
  let tested = 0;
  let stale = 0;
  for (const t of report.techniques) {
    const r = results.get(t.id);
    if (!r) continue;
    t.results = summarizeResults(r);
    if (r.validated) validated++;
    if (r.best && EXECUTED.has(r.best)) tested++;
    if (r.stale) stale++;
  }
  report.results = { ...info, validated, tested, stale };
}
