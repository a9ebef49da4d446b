import type { Command } from 'commander';
import { buildPage } from '../page/build.js';
import { stackOf, withStackOption } from './stack.js';
import { renderMarkdown } from '../render/markdown.js';
import { closeMatches } from '../page/suggest.js';
import { CliError, dbOption, EXIT_BAD_INPUT, formatOf, out, withFormatOptions, withKb } from './common.js';
import { renderHtmlPage } from '../render/html.js';
import { pageResultsHtml, pageResultsJson, pageResultsMarkdown } from '../results/page.js';
import { ResultsReader } from '../results/reader.js';
import { maxAgeOf, openResults, RESULTS_OPTION_HELP } from './results.js';

const FORMATS = ['markdown', 'json', 'html'] as const;

export function registerShow(program: Command): void {
  withStackOption(withFormatOptions(program
    .command('show')
    .description('print the page of one ATT&CK technique or sub-technique (ID is case-insensitive)')
    .argument('<id>', 'technique id, e.g. T1021.004'), FORMATS, 'markdown'))
    .option('--detail', 'markdown: show ids, tactics, "why" chains and notes of every item')
    .option('--include-deprecated', 'also list deprecated rules')
    .option('--all-sources', 'markdown: a block for every loaded source, also those with nothing for this technique')
    .option('--logic', 'markdown: print each rule\'s logic (Sigma detection block, query) under it, as text')
    .option('--results [file]', `add the Validation results block; ${RESULTS_OPTION_HELP}`)
    .option('--max-age <days>', 'with --results: results older than this are stale (default 180)')
    .addOption(dbOption())
    .action(async (id: string, opts: { format?: string; json?: boolean; detail?: boolean; includeDeprecated?: boolean; allSources?: boolean; logic?: boolean; results?: string | boolean; maxAge?: string; db?: string; stack?: string[] }) => {
      const format = formatOf(opts, FORMATS, 'markdown');
      if (opts.maxAge !== undefined && !opts.results) throw new CliError('--max-age applies to results: give --results', EXIT_BAD_INPUT);
      const maxAgeDays = maxAgeOf(opts.maxAge);
      const store = opts.results ? openResults({ results: opts.results === true ? undefined : opts.results, db: opts.db }) : undefined;
      await withKb(opts.db, async (kb) => {
        const page = buildPage(kb, id, { includeDeprecated: opts.includeDeprecated, stack: stackOf(kb, opts.stack) });
        if (!page) {
          const near = closeMatches(kb, id);
          throw new CliError(`unknown technique "${id}" in ATT&CK ${kb.attackVersion}${near.length ? `; did you mean ${near.join(', ')}?` : ''}`, EXIT_BAD_INPUT);
        }
        if (page.status === 'revoked') {
          process.stderr.write(`${page.id} was revoked in ATT&CK${page.replacedBy.length ? `; replaced by ${page.replacedBy.map((t) => `${t.id} (${t.name})`).join(', ')}` : ''}\n`);
        }
        const results = store && new ResultsReader(store).technique(kb, page.id, { maxAgeDays });
        if (format === 'json') await out(`${JSON.stringify(store ? { ...page, validationResults: pageResultsJson(results, maxAgeDays) } : page, null, 2)}\n`);
        else if (format === 'html') await out(renderHtmlPage(page, { base: '', appendix: store && pageResultsHtml(results, maxAgeDays) }));
        else await out(renderMarkdown(page, { detail: opts.detail, allSources: opts.allSources, logic: opts.logic }) + (store ? `\n${pageResultsMarkdown(results, maxAgeDays)}` : ''));
      }).finally(() => store?.close());
    });
}
