import type { Command } from 'commander';
import { activePages } from '../page/iterate.js';
import { csvRow } from '../render/csv.js';
import type { SourceRow } from '../kb/open.js';
import type { Page } from '../page/types.js';
import { dbOption, domainOption, formatOf, parseDomain, withFormatOptions, withKb } from './common.js';
import { openSink } from './output.js';
import { stackOf, withStackOption } from './stack.js';

const FORMATS = ['ndjson', 'json', 'csv'] as const;

/** Detection sources that hold guidance (all of it, or per record): their CSV gets a `<name>:guidance` column. */
const mayHoldGuidance = (s: SourceRow) => s.pillar === 'detection' && s.detectionKind !== null && s.detectionKind !== 'rule';

/**
 * CSV columns: each source's resources on the technique (as on the page), and for sources that
 * hold guidance how many of those are guidance; then the volumes and the class (executable rules
 * only count as detections, see page/validation.ts).
 */
export function csvHeader(sources: readonly SourceRow[]): string[] {
  return ['id', 'name', 'domain', 'tactics', 'parent', ...sources.flatMap((s) => (mayHoldGuidance(s) ? [s.name, `${s.name}:guidance`] : [s.name])),
    'policy_volume', 'detection_volume', 'guidance_volume', 'test_volume', 'validation'];
}

export function csvRowOf(p: Page, sources: readonly SourceRow[]): (string | number)[] {
  const blocks = new Map(p.sections.flatMap((sec) => sec.sources.map((b) => [b.source, b] as const)));
  return [p.id, p.name, p.domain, p.tactics.join('; '), p.parent?.id ?? '',
    ...sources.flatMap((s) => {
      const b = blocks.get(s.name);
      return mayHoldGuidance(s) ? [b?.count ?? 0, b?.guidance ?? 0] : [b?.count ?? 0];
    }),
    p.summary.policy_volume, p.summary.detection_volume, p.summary.guidance_volume, p.summary.test_volume, p.summary.validation];
}

export function registerExport(program: Command): void {
  withStackOption(withFormatOptions(program
    .command('export')
    .description('every active technique at once: page objects (ndjson/json) or one CSV row per technique with per-source counts'), FORMATS, 'ndjson', { csv: true }))
    .addOption(domainOption('default: all loaded'))
    .option('--include-deprecated', 'also list deprecated rules')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .addOption(dbOption())
    .action(async (opts: { format?: string; json?: boolean; csv?: boolean; domain?: string; includeDeprecated?: boolean; out?: string; db?: string; stack?: string[] }) => {
      const format = formatOf(opts, FORMATS, 'ndjson');
      const domain = parseDomain(opts.domain);
      await withKb(opts.db, async (kb) => {
        const stack = stackOf(kb, opts.stack);
        const sink = openSink(opts.out);
        try {
          const sources = kb.sources().filter((s) => s.loaded && (!stack || stack.sources.includes(s.name)));
          const pages = activePages(kb, { domain, includeDeprecated: opts.includeDeprecated, stack });
          if (format === 'csv') {
            await sink.write(csvRow(csvHeader(sources)));
            for (const p of pages) await sink.write(csvRow(csvRowOf(p, sources)));
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
