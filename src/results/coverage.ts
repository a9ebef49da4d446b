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

/** The coverage report's lines about results: the summary line and the validated techniques. */
export function resultsSummaryMarkdown(report: CoverageReport, mdText: (s: string) => string): string[] {
  const r = report.results;
  if (!r) return [];
  const total = report.summary.total;
  const pct = total ? ` (${((100 * r.validated) / total).toFixed(1)}%)` : '';
  const how = r.alerts === 'own' ? 'prevented, or alerted by one of the own rules given' : 'prevented, or alerted naming its rule (give --rules to count only own rules)';
  const ids = report.techniques.filter((t) => t.results?.validated).map((t) => `${t.id} ${mdText(t.name)}`);
  return [
    `**${r.validated} / ${total} techniques validated${pct}** (a test ran within ${r.maxAgeDays} days and was ${how}) · ${r.tested} tested · `
      + `${r.stale} with stale results only · results from ${mdText(r.file)}`, '',
    ...(ids.length ? [`Validated: ${ids.join(', ')}`, ''] : []),
  ];
}

export const RESULTS_CSV_COLUMNS = ['result_best', 'result_executions', 'result_last_run', 'result_stale', 'validated'] as const;

export function resultsCsvCells(t: CoverageReport['techniques'][number]): (string | number)[] {
  const r = t.results;
  return r ? [r.best ?? '', r.executions, r.lastRun ?? '', r.stale ? 'yes' : 'no', r.validated ? 'yes' : 'no'] : ['', 0, '', '', 'no'];
}
