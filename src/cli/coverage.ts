import { fileProblem } from '../core/errors.js';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BaselineError, readBaseline } from '../coverage/baseline.js';
import { computeCoverage } from '../coverage/coverage.js';
import { newerHint } from '../crosswalk/newer.js';
import { layerContextOf } from '../kb/layer-context.js';
import { renderCoverageCsv, renderCoverageJson, renderCoverageMarkdown } from '../render/coverage.js';
import { ownRulesLayer } from '../render/layer.js';
import { addResults } from '../results/coverage.js';
import { ResultsReader } from '../results/reader.js';
import { hasThreatOptions } from '../threats/select.js';
import { applyTelemetry } from '../telemetry/coverage.js';
import { createProgress } from '../util/progress.js';
import { CliError, collect, dbOption, domainOption, EXIT_BAD_INPUT, formatOf, out, parseDomain, parsePositiveInt, withFormatOptions, withKb } from './common.js';
import { loadRules, pageUrlOf } from './own-rules.js';
import { maxAgeOf, openResults, RESULTS_OPTION_HELP } from './results.js';
import { stackOf, withStackOption } from './stack.js';
import { loadVocabularyOrFail, PROFILE_OPTION_HELP, readProfileFile, runTelemetry } from './telemetry.js';
import { requireScope, selectOrFail, threatOptions, withThreatOptions, type RawThreatOpts } from './threats.js';

/** More prioritized techniques without an own rule than `--fail-on-gaps` allows. */
export const EXIT_GAPS = 3;

const FORMATS = ['markdown', 'json', 'csv', 'layer'] as const;

export function readBaselineFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`--baseline ${file} ${fileProblem(e, 'an own-rule Navigator layer or a technique list') ?? `cannot be read: ${(e as Error).message}`}`, EXIT_BAD_INPUT);
  }
  try {
    return readBaseline(text);
  } catch (e) {
    if (e instanceof BaselineError) throw new CliError(`--baseline ${file}: ${e.message}`, EXIT_BAD_INPUT);
    throw e;
  }
}

interface CoverageOpts extends RawThreatOpts {
  rules?: string[];
  domain?: string;
  format?: string;
  json?: boolean;
  csv?: boolean;
  failOnGaps?: boolean | string;
  baseline?: string;
  pageBase?: string;
  results?: string | boolean;
  maxAge?: string;
  db?: string;
  stack?: string[];
  profile?: string;
}

export function registerCoverage(program: Command): void {
  withStackOption(withFormatOptions(withThreatOptions(program.command('coverage')), FORMATS, 'markdown', { csv: true }))
    .description('own detection rules against a threat (or a whole domain): covered / total by tactic, then the gaps in priority order')
    .option('--rules <path>', 'own rules: folder or file (Sigma, Elastic TOML, Kibana NDJSON, Splunk); repeatable', collect)
    .addOption(domainOption('default enterprise'))
    .option('--fail-on-gaps [n]', `exit ${EXIT_GAPS} when more than n (default 0) prioritized techniques have no own rule`)
    .option('--baseline <layer>', 'an earlier coverage layer (score > 0 = covered): list techniques gained and lost')
    .option('--page-base <url>', 'address of a Purplebook site, for links in layers')
    .option('--results [file]', `add the validated state per technique (a test ran and was prevented, or alerted by an own rule); ${RESULTS_OPTION_HELP}`)
    .option('--max-age <days>', 'with --results: results older than this are stale and do not count (default 180)')
    .option('--profile <file>', `count as adoptable only the public rules your telemetry runs; ${PROFILE_OPTION_HELP}`)
    .addOption(dbOption())
    .action(async (raw: CoverageOpts) => {
      const format = formatOf(raw, FORMATS, 'markdown');
      const domain = parseDomain(raw.domain) ?? 'enterprise-attack';
      const threshold = raw.failOnGaps === undefined || raw.failOnGaps === true ? 0 : parsePositiveInt(raw.failOnGaps as string, '--fail-on-gaps');
      const pageUrl = pageUrlOf(raw.pageBase);
      const baseline = raw.baseline ? readBaselineFile(raw.baseline) : undefined;
      if (raw.maxAge !== undefined && !raw.results) throw new CliError('--max-age applies to results: give --results', EXIT_BAD_INPUT);
      const rules = loadRules(raw.rules);
      const vocab = raw.profile ? loadVocabularyOrFail() : undefined;
      const profile = raw.profile && vocab ? readProfileFile(raw.profile, vocab) : undefined;
      await withKb(raw.db, async (kb) => {
        const o = threatOptions(raw);
        const selection = hasThreatOptions(o) ? selectOrFail(kb, o) : undefined;
        if (selection) requireScope(kb, selection, domain);
        if (!rules) process.stderr.write('purplebook: no --rules given: every technique counts as a gap\n');
        const progress = createProgress();
        const report = computeCoverage(kb, { selection, rules, domain, baseline, stack: stackOf(kb, raw.stack), onProgress: (done, total) => progress.update('Computing coverage', done, total) });
        progress.done();
        if (profile && vocab) applyTelemetry(report, runTelemetry(kb, { profile, vocab, selection, domain, stack: stackOf(kb, raw.stack) }).analysis);
        if (raw.results) {
          const maxAgeDays = maxAgeOf(raw.maxAge);
          const store = openResults({ results: raw.results === true ? undefined : raw.results, db: raw.db });
          try {
            addResults(report, new ResultsReader(store).all(kb, { maxAgeDays, rules }), { file: store.path, maxAgeDays, alerts: rules ? 'own' : 'any' });
          } finally {
            store.close();
          }
        }
        if (format === 'json') await out(renderCoverageJson(report));
        else if (format === 'csv') await out(renderCoverageCsv(report));
        else if (format === 'layer') await out(`${JSON.stringify(ownRulesLayer({ context: layerContextOf(kb), report, pageUrl }), null, 1)}\n`);
        else await out(renderCoverageMarkdown(report));
        // The markdown report says it at the top; the machine formats say it where a person sees it.
        const newer = newerHint('Own rules', report.rules.newerIds, report.attackVersion);
        if (newer && format !== 'markdown') process.stderr.write(`purplebook: ${newer}\n`);
        const s = report.summary;
        if (raw.failOnGaps !== undefined && s.gaps > threshold) {
          throw new CliError(`${s.gaps} of ${s.total} prioritized techniques have no own rule (allowed: ${threshold})`, EXIT_GAPS);
        }
      });
    });
}
