import type { Command } from 'commander';
import { closeValues } from '../page/suggest.js';
import { renderInventoryJson, renderInventoryMarkdown, renderUnmappedMarkdown } from '../render/telemetry.js';
import { inventory, unmappedNames } from '../telemetry/inventory.js';
import { readRules } from '../telemetry/rules.js';
import { dbOption, formatOf, out, unknownValue, withFormatOptions, withKb } from './common.js';
import { loadVocabularyOrFail } from './telemetry.js';

const FORMATS = ['markdown', 'json'] as const;

interface LogSourcesOpts {
  source?: string;
  unmapped?: boolean;
  format?: string;
  json?: boolean;
  db?: string;
}

export function registerLogSources(program: Command): void {
  withFormatOptions(program.command('logsources'), FORMATS, 'markdown')
    .description('executable public rules per log source per source (like sigma-cli analyze logsource), with each source\'s share of unknown telemetry')
    .option('--source <name>', 'one rule source (sigma, elastic, splunk …)')
    .option('--unmapped', 'list the upstream log-source names the vocabulary does not know')
    .addOption(dbOption())
    .action(async (raw: LogSourcesOpts) => {
      const format = formatOf(raw, FORMATS, 'markdown');
      const vocab = loadVocabularyOrFail();
      await withKb(raw.db, async (kb) => {
        const rules = readRules(kb);
        let inv = inventory(vocab, rules);
        if (raw.source !== undefined) {
          const names = inv.map((s) => s.source);
          const wanted = raw.source.trim().toLowerCase();
          if (!names.includes(wanted)) throw unknownValue('rule source', raw.source, names, closeValues(raw.source, names));
          inv = inv.filter((s) => s.source === wanted);
        }
        if (raw.unmapped) {
          const list = unmappedNames(inv);
          await out(format === 'json' ? renderInventoryJson(inv, list) : renderUnmappedMarkdown(list));
        } else await out(format === 'json' ? renderInventoryJson(inv) : renderInventoryMarkdown(inv));
      });
    });
}
