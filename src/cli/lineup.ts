import type { Command } from 'commander';
import { buildLineup, LINEUP_SORTS, type LineupSort } from '../coverage/lineup.js';
import { renderLineupCsv, renderLineupJson, renderLineupMarkdown } from '../render/lineup.js';
import { layerScores } from '../threats/scores.js';
import { hasThreatOptions } from '../threats/select.js';
import { CliError, dbOption, domainOption, EXIT_BAD_INPUT, out, parseDomain, withKb } from './common.js';
import { collect } from './common.js';
import { stackOf, withStackOption } from './stack.js';
import { selectOrFail, threatOptions, withThreatOptions, type RawThreatOpts } from './threats.js';

const FORMATS = ['markdown', 'json', 'csv'] as const;

interface LineupOpts extends RawThreatOpts {
  stack?: string[];
  lowestLevel?: boolean;
  tactic?: string[];
  sort: string;
  format: string;
  domain?: string;
  db?: string;
}

export function registerLineup(program: Command): void {
  withStackOption(withThreatOptions(program.command('lineup')))
    .description('line up a threat\'s techniques (or a whole domain): controls, rules and tests of your stack per technique, per source, sorted as you ask')
    .option('--lowest-level', 'sub-techniques where the threat (or ATT&CK) has them, the technique otherwise')
    .option('--tactic <tactic>', 'only techniques of this tactic: shortname, id or name (repeatable, or comma-separated)', collect)
    .option('--sort <by>', `${LINEUP_SORTS.join(', ')} (score: the technique scores of a --techniques layer)`, 'total')
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'markdown')
    .addOption(domainOption('default enterprise'))
    .addOption(dbOption())
    .action(async (raw: LineupOpts) => {
      if (!(FORMATS as readonly string[]).includes(raw.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, EXIT_BAD_INPUT);
      if (!(LINEUP_SORTS as readonly string[]).includes(raw.sort)) throw new CliError(`--sort must be one of ${LINEUP_SORTS.join(', ')}`, EXIT_BAD_INPUT);
      const domain = parseDomain(raw.domain) ?? 'enterprise-attack';
      await withKb(raw.db, async (kb) => {
        const stack = stackOf(kb, raw.stack);
        const o = threatOptions(raw);
        const selection = hasThreatOptions(o) ? selectOrFail(kb, o) : undefined;
        const scores = o.techniquesText === undefined ? undefined : layerScores(o.techniquesText);
        if (raw.sort === 'score' && !scores?.size) {
          throw new CliError(`--sort score needs --techniques with a Navigator layer whose techniques carry scores${raw.techniques ? ` (${raw.techniques} has none)` : ''}`, EXIT_BAD_INPUT);
        }
        const lineup = buildLineup(kb, {
          selection, scores, scoresFrom: raw.techniques, stack, domain, lowestLevel: raw.lowestLevel, tactics: raw.tactic, sort: raw.sort as LineupSort,
        });
        if (raw.format === 'json') return out(renderLineupJson(lineup));
        if (raw.format === 'csv') {
          const sources = kb.sources().filter((s) => s.loaded && (!stack || stack.sources.includes(s.name))).map((s) => s.name);
          return out(renderLineupCsv(lineup, sources));
        }
        return out(renderLineupMarkdown(lineup));
      });
    });
}
