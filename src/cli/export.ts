import type { Command } from 'commander';
import { DOMAINS, type Domain } from '../attack/types.js';
import { activePages, sourceCounts } from '../page/iterate.js';
import { csvRow } from '../render/csv.js';
import { CliError, DB_OPTION_HELP, EXIT_BAD_INPUT, withKb } from './common.js';
import { openSink } from './output.js';

const FORMATS = ['ndjson', 'json', 'csv'] as const;

export function parseDomain(value: string | undefined): Domain | undefined {
  if (!value) return undefined;
  const d = value.endsWith('-attack') ? value : `${value}-attack`;
  if (!(DOMAINS as readonly string[]).includes(d)) throw new CliError(`--domain must be one of enterprise, mobile, ics`, EXIT_BAD_INPUT);
  return d as Domain;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('every active technique at once: page objects (ndjson/json) or one CSV row per technique with per-source counts')
    .option('--format <format>', `ndjson, json or csv`, 'ndjson')
    .option('--domain <domain>', 'enterprise, mobile or ics (default: all loaded)')
    .option('--include-deprecated', 'also list deprecated rules')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--db <file>', DB_OPTION_HELP)
    .action(async (opts: { format: string; domain?: string; includeDeprecated?: boolean; out?: string; db?: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, EXIT_BAD_INPUT);
      const domain = parseDomain(opts.domain);
      await withKb(opts.db, async (kb) => {
        const sink = openSink(opts.out);
        try {
          const sources = kb.sources().filter((s) => s.loaded);
          const pages = activePages(kb, { domain, includeDeprecated: opts.includeDeprecated });
          if (opts.format === 'csv') {
            await sink.write(csvRow(['id', 'name', 'domain', 'tactics', 'parent', ...sources.map((s) => s.name),
              'policy_volume', 'detection_volume', 'test_volume', 'validation']));
            for (const p of pages) {
              const counts = sourceCounts(p);
              await sink.write(csvRow([p.id, p.name, p.domain, p.tactics.join('; '), p.parent?.id ?? '', ...sources.map((s) => counts.get(s.name) ?? 0),
                p.summary.policy_volume, p.summary.detection_volume, p.summary.test_volume, p.summary.validation]));
            }
          } else if (opts.format === 'json') {
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
