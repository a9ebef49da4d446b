import type { Command } from 'commander';
import { buildPlan, knownPlatforms, normalizePlatform } from '../coverage/plan.js';
import { closeValues } from '../page/suggest.js';
import { renderPlanJson, renderPlanMarkdown } from '../render/plan.js';
import { planSheet, previousOutcomes } from '../results/plan-sheet.js';
import { hasThreatOptions } from '../threats/select.js';
import { CliError, dbOption, domainOption, EXIT_BAD_INPUT, formatOf, out, parseDomain, parsePositiveInt, unknownValue, withFormatOptions, withKb } from './common.js';
import { loadRules } from './own-rules.js';
import { collect } from './common.js';
import { openResults, RESULTS_OPTION_HELP } from './results.js';
import { stackOf, withStackOption } from './stack.js';
import { telemetryGate } from '../telemetry/gate.js';
import { readRules } from '../telemetry/rules.js';
import { loadVocabularyOrFail, PROFILE_OPTION_HELP, readProfileFile } from './telemetry.js';
import { requireScope, selectOrFail, threatOptions, withThreatOptions, type RawThreatOpts } from './threats.js';

const FORMATS = ['markdown', 'json', 'csv'] as const;

interface PlanOpts extends RawThreatOpts {
  rules?: string[];
  platform?: string[];
  domain?: string;
  format?: string;
  json?: boolean;
  maxDetections?: string;
  results?: string | boolean;
  db?: string;
  stack?: string[];
  profile?: string;
}

export function registerPlan(program: Command): void {
  withStackOption(withFormatOptions(withThreatOptions(program.command('plan')), FORMATS, 'markdown'))
    .description("purple-team test plan of a threat: per tactic and technique, the public tests to run, the detections that should fire, the controls to check")
    .option('--rules <path>', 'own rules (listed before public candidates): folder or file; repeatable', collect)
    .option('--platform <name>', 'windows, linux, macos … (repeatable, or comma-separated; default: every platform)', collect)
    .addOption(domainOption('default enterprise'))
    .option('--max-detections <n>', 'public detection candidates per technique (default 8)')
    .option('--results [file]', `list each test's previous outcome; ${RESULTS_OPTION_HELP}`)
    .option('--profile <file>', `propose only public rules your telemetry runs, the others marked "needs: …"; ${PROFILE_OPTION_HELP}`)
    .addOption(dbOption())
    .action(async (raw: PlanOpts) => {
      const format = formatOf(raw, FORMATS, 'markdown');
      const domain = parseDomain(raw.domain) ?? 'enterprise-attack';
      const maxDetections = raw.maxDetections === undefined ? undefined : parsePositiveInt(raw.maxDetections, '--max-detections');
      const rules = loadRules(raw.rules);
      const vocab = raw.profile ? loadVocabularyOrFail() : undefined;
      const profile = raw.profile && vocab ? readProfileFile(raw.profile, vocab) : undefined;
      await withKb(raw.db, async (kb) => {
        const o = threatOptions(raw);
        if (!hasThreatOptions(o)) throw new CliError('plan needs a threat: --group, --software, --campaign, --techniques or a profile option', EXIT_BAD_INPUT);
        const selection = selectOrFail(kb, o);
        requireScope(kb, selection, domain);
        if (raw.platform?.length) {
          const known = knownPlatforms(kb);
          for (const p of raw.platform) if (!known.includes(normalizePlatform(p))) throw unknownValue('--platform', p, known, closeValues(p, known));
        }
        const stack = stackOf(kb, raw.stack);
        let telemetry;
        if (profile && vocab) {
          telemetry = telemetryGate(vocab, profile, readRules(kb, stack));
        }
        const plan = buildPlan(kb, { selection, rules, platforms: raw.platform, domain, maxDetections, stack, telemetry });
        let previous;
        if (raw.results) {
          const store = openResults({ results: raw.results === true ? undefined : raw.results, db: raw.db });
          try {
            previous = previousOutcomes(store.history());
          } finally {
            store.close();
          }
        }
        // csv: the outcome sheet the team fills in and `results import` reads back.
        if (format === 'csv') await out(planSheet(plan, previous));
        else await out(format === 'json' ? renderPlanJson(plan) : renderPlanMarkdown(plan, previous));
      });
    });
}
