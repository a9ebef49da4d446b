import type { Command } from 'commander';
import type { Domain } from '../attack/types.js';
import { computeCoverage } from '../coverage/coverage.js';
import { layerContextOf } from '../kb/layer-context.js';
import type { KnowledgeBase } from '../kb/open.js';
import { stackLabel, type Stack } from '../kb/stack.js';
import { navigatorLayer, ownRulesLayer, threatLayer, type NavigatorLayer } from '../render/layer.js';
import { listMeasures, type Measure } from '../page/measures.js';
import { closeValues } from '../page/suggest.js';
import { summariesOf } from '../page/summary.js';
import type { OwnRuleSet } from '../rules/types.js';
import { resultsLayer } from '../results/layer.js';
import { ResultsReader } from '../results/reader.js';
import type { TechniqueResults } from '../results/view.js';
import { hasThreatOptions, type ThreatSelection } from '../threats/select.js';
import { CliError, dbOption, domainOption, EXIT_BAD_INPUT, formatOf, out, parseDomain, withFormatOptions, withKb } from './common.js';
import { readBaselineFile } from './coverage.js';
import { loadRules, pageUrlOf } from './own-rules.js';
import { collect } from './common.js';
import { maxAgeOf, openResults, RESULTS_OPTION_HELP } from './results.js';
import { stackOf, withStackOption } from './stack.js';
import { loadVocabularyOrFail, PROFILE_OPTION_HELP, readProfileFile, runTelemetry } from './telemetry.js';
import { telemetryLayer } from '../render/telemetry.js';
import type { TelemetryProfile } from '../telemetry/profile.js';
import type { Vocabulary } from '../telemetry/vocabulary.js';
import { requireScope, selectOrFail, threatOptions, withThreatOptions, type RawThreatOpts } from './threats.js';

interface LayerOpts extends RawThreatOpts {
  measure?: string[];
  rules?: string[];
  domain?: string;
  pageBase?: string;
  baseline?: string;
  results?: string | boolean;
  maxAge?: string;
  format?: string;
  json?: boolean;
  db?: string;
  stack?: string[];
  profile?: string;
}

/** `sigma` and `source-sigma` name the same measure; `own`, `threat`, `results` and `telemetry` are computed here. */
export function resolveMeasure(kb: KnowledgeBase, name: string, stack?: Stack): Measure | 'own' | 'threat' | 'results' | 'telemetry' {
  const n = name.trim().toLowerCase();
  if (n === 'own' || n === 'threat' || n === 'results' || n === 'telemetry') return n;
  const all = listMeasures(kb, stack);
  const m = all.find((x) => x.id === n) ?? all.find((x) => x.id === `source-${n}`);
  if (!m && stack && listMeasures(kb).some((x) => x.id === n || x.id === `source-${n}`)) {
    throw new CliError(`measure "${name}" is a source outside the control stack ${stackLabel(stack)}`, EXIT_BAD_INPUT);
  }
  if (!m) {
    const valid = [...all.map((x) => x.id.replace(/^source-/, '')), 'own', 'threat', 'results', 'telemetry'];
    const near = closeValues(n, valid);
    throw new CliError(`unknown measure "${name}"; ${near.length ? `did you mean ${near.join(', ')}? ` : ''}valid: ${valid.join(', ')}`, EXIT_BAD_INPUT);
  }
  return m;
}

export interface LayerInputs {
  /** Required by the `threat` measure. */
  selection?: ThreatSelection;
  /** The own rules of the `own` measure. */
  rules?: OwnRuleSet;
  domain: Domain;
  pageUrl?: (id: string) => string;
  /** Covered ids of an earlier own-rule layer (any ATT&CK release: the crosswalk carries them). */
  baseline?: string[];
  /** Results per technique, for the `results` measure. */
  results?: ReadonlyMap<string, TechniqueResults>;
  maxAgeDays?: number;
  /** Count public resources of these sources only. */
  stack?: Stack;
  /** The profile of the `telemetry` measure. */
  telemetry?: { profile: TelemetryProfile; vocab: Vocabulary };
}

/** One measure's layer, as `layer` prints it (shared with the MCP `layer` tool); the caller checks `threat` has a selection. */
export function layerOf(kb: KnowledgeBase, m: Measure | 'own' | 'threat' | 'results' | 'telemetry', o: LayerInputs): NavigatorLayer {
  if (m === 'telemetry') {
    if (!o.telemetry) throw new CliError('--measure telemetry needs --profile FILE', EXIT_BAD_INPUT);
    const run = runTelemetry(kb, { ...o.telemetry, selection: o.selection, domain: o.domain, stack: o.stack });
    return telemetryLayer(run.head, run.analysis);
  }
  const context = layerContextOf(kb);
  if (m === 'results') return resultsLayer({ context, results: o.results ?? new Map(), domain: o.domain, maxAgeDays: o.maxAgeDays ?? 180, selection: o.selection, pageUrl: o.pageUrl });
  if (m === 'threat') return threatLayer({ context, selection: o.selection!, domain: o.domain, pageUrl: o.pageUrl });
  if (m === 'own') return ownRulesLayer({ context, report: computeCoverage(kb, { selection: o.selection, rules: o.rules, domain: o.domain, baseline: o.baseline, stack: o.stack }), pageUrl: o.pageUrl });
  return navigatorLayer({ context, measure: m, summaries: summariesOf(kb, o.stack), domain: o.domain, selection: o.selection, pageUrl: o.pageUrl, stack: o.stack });
}

export function registerLayer(program: Command): void {
  withStackOption(withFormatOptions(withThreatOptions(program.command('layer'))
    .description('an ATT&CK Navigator layer (format 4.5) of one measure; several --measure give a list of layers'), ['json'], 'json'))
    .option('--measure <measure>', 'validation, controls, detections, tests, a source name (e.g. sigma), own (needs --rules), threat (needs threat options) or telemetry (needs --profile); default validation', collect)
    .option('--rules <path>', 'own rules for the "own" measure: folder or file; repeatable', collect)
    .addOption(domainOption('default enterprise'))
    .option('--page-base <url>', 'address of a Purplebook site: each technique links to its page there')
    .option('--baseline <layer>', 'with --measure own: an earlier coverage layer (any ATT&CK release; ids go through the crosswalk); entries say gained or lost')
    .option('--results [file]', `results file of the "results" measure (best outcome per technique); ${RESULTS_OPTION_HELP}`)
    .option('--max-age <days>', 'with --measure results: results older than this are stale (default 180)')
    .option('--profile <file>', `telemetry profile of the "telemetry" measure (runnable public rules per technique); ${PROFILE_OPTION_HELP}`)
    .addOption(dbOption())
    .action(async (raw: LayerOpts) => {
      formatOf(raw, ['json'], 'json');
      const domain = parseDomain(raw.domain) ?? 'enterprise-attack';
      const pageUrl = pageUrlOf(raw.pageBase);
      const names = raw.measure?.length ? raw.measure : ['validation'];
      await withKb(raw.db, async (kb) => {
        const stack = stackOf(kb, raw.stack);
        const measures = names.map((n) => resolveMeasure(kb, n, stack));
        const o = threatOptions(raw);
        const selection = hasThreatOptions(o) ? selectOrFail(kb, o) : undefined;
        if (selection) requireScope(kb, selection, domain);
        if (measures.includes('threat') && !selection) throw new CliError('--measure threat needs a threat (--group, --software, --campaign, --techniques or a profile option)', EXIT_BAD_INPUT);
        if (measures.includes('own') && !raw.rules?.length) throw new CliError('--measure own needs --rules PATH', EXIT_BAD_INPUT);
        if (raw.baseline && !measures.includes('own')) throw new CliError('--baseline compares own-rule coverage: it needs --measure own', EXIT_BAD_INPUT);
        const baseline = raw.baseline ? readBaselineFile(raw.baseline) : undefined;
        const rules = measures.includes('own') ? loadRules(raw.rules) : undefined;
        if ((raw.results || raw.maxAge !== undefined) && !measures.includes('results')) throw new CliError('--results and --max-age go with --measure results', EXIT_BAD_INPUT);
        const maxAgeDays = maxAgeOf(raw.maxAge);
        let results: Map<string, TechniqueResults> | undefined;
        if (measures.includes('results')) {
          const store = openResults({ results: typeof raw.results === 'string' ? raw.results : undefined, db: raw.db });
          try {
            results = new ResultsReader(store).all(kb, { maxAgeDays, rules: raw.rules?.length ? loadRules(raw.rules) : undefined });
          } finally {
            store.close();
          }
        }
        if (raw.profile && !measures.includes('telemetry')) throw new CliError('--profile goes with --measure telemetry', EXIT_BAD_INPUT);
        const vocab = raw.profile ? loadVocabularyOrFail() : undefined;
        const telemetry = raw.profile && vocab ? { profile: readProfileFile(raw.profile, vocab), vocab } : undefined;
        const layers = measures.map((m) => layerOf(kb, m, { selection, rules, domain, pageUrl, baseline, stack, results, maxAgeDays, telemetry }));
        if (raw.pageBase) for (const l of layers) l.links = [{ label: 'Purplebook', url: raw.pageBase }, ...l.links];
        await out(`${JSON.stringify(layers.length === 1 ? layers[0] : layers, null, 1)}\n`);
      });
    });
}
