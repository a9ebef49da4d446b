import type { Command } from 'commander';
import { DOMAINS, type Domain } from '../attack/types.js';
import { activePages, sourceCounts } from '../page/iterate.js';
import { csvRow } from '../render/csv.js';
import { closeValues } from '../page/suggest.js';
import { DB_OPTION_HELP, formatOf, unknownValue, withFormatOptions, withKb } from './common.js';
import { openSink } from './output.js';

const FORMATS = ['ndjson', 'json', 'csv'] as const;

/** `enterprise`, `Enterprise` or `enterprise-attack` → the domain; anything else is bad input. */
export function parseDomain(value: string | undefined): Domain | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  const d = v.endsWith('-attack') ? v : `${v}-attack`;
  if (!(DOMAINS as readonly string[]).includes(d)) {
    const short = DOMAINS.map((x) => x.replace('-attack', ''));
    throw unknownValue('--domain', value, short, closeValues(value.replace(/-attack$/i, ''), short));
  }
  return d as Domain;
}

export function registerExport(program: Command): void {
  withFormatOptions(program
    .command('export')
    .description('every active technique at once: page objects (ndjson/json) or one CSV row per technique with per-source counts'), FORMATS, 'ndjson', { csv: true })
    .option('--domain <domain>', 'enterprise, mobile or ics (default: all loaded)')
    .option('--include-deprecated', 'also list deprecated rules')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--db <file>', DB_OPTION_HELP)
    .action(async (opts: { format?: string; json?: boolean; csv?: boolean; domain?: string; includeDeprecated?: boolean; out?: string; db?: string }) => {
      const format = formatOf(opts, FORMATS, 'ndjson');
      const domain = parseDomain(opts.domain);
      await withKb(opts.db, async (kb) => {
        const sink = openSink(opts.out);
        try {
          const sources = kb.sources().filter((s) => s.loaded);
          const pages = activePages(kb, { domain, includeDeprecated: opts.includeDeprecated });
          if (format === 'csv') {
            await sink.write(csvRow(['id', 'name', 'domain', 'tactics', 'parent', ...sources.map((s) => s.name),
              'policy_volume', 'detection_volume', 'test_volume', 'validation']));
            for (const p of pages) {
              const counts = sourceCounts(p);
              await sink.write(csvRow([p.id, p.name, p.domain, p.tactics.join('; '), p.parent?.id ?? '', ...sources.map((s) => counts.get(s.name) ?? 0),
                p.summary.policy_volume, p.summary.detection_volume, p.summary.test_volume, p.summary.validation]));
            }
          } else if (format === 'json') {
            let first = true;
            await sink.write('[\n');
            for (const p of pages) {
              await sink.write(`${first ? '' : ',\n'}${JSON.stringify(p)}`);
              first = false;
            }
            await sink.write('\n]\n');
          } else {
            for (const p of pages) await sink.write(`${JSON.stringify(p)}\n`);
          }
          await sink.close();
        } catch (e) {
          sink.abort();
          throw e;
        }
      });
    });
}
