import type { Command } from 'commander';
import { writeSite } from '../site/generate.js';
import { pageResultsHtml, pageResultsMarkdown } from '../results/page.js';
import { ResultsReader } from '../results/reader.js';
import { CliError, dbOption, EXIT_BAD_INPUT, withKb } from './common.js';
import { maxAgeOf, openResults, RESULTS_OPTION_HELP } from './results.js';

export function registerSite(program: Command): void {
  program
    .command('site')
    .description('write the static site: every technique page (HTML + markdown), a matrix per domain, offline search, sources, Navigator layers')
    .option('--out <dir>', 'output folder, replaced atomically', 'site-out')
    .addOption(dbOption())
    .option('--results [file]', `technique pages show validation results as of now; ${RESULTS_OPTION_HELP}`)
    .option('--max-age <days>', 'with --results: results older than this are stale (default 180)')
    .option('--quiet', 'print nothing but errors')
    .action(async (opts: { out: string; db?: string; results?: string | boolean; maxAge?: string; quiet?: boolean }) => {
      if (opts.maxAge !== undefined && !opts.results) throw new CliError('--max-age applies to results: give --results', EXIT_BAD_INPUT);
      const maxAgeDays = maxAgeOf(opts.maxAge);
      const store = opts.results ? openResults({ results: opts.results === true ? undefined : opts.results, db: opts.db }) : undefined;
      await withKb(opts.db, (kb) => {
        const results = store && new ResultsReader(store).all(kb, { maxAgeDays });
        const pageExtra = results && ((id: string) => ({ html: pageResultsHtml(results.get(id), maxAgeDays), markdown: pageResultsMarkdown(results.get(id), maxAgeDays) }));
        const summary = writeSite({ kb, outDir: opts.out, quiet: opts.quiet, pageExtra, results: results && { byTechnique: results, maxAgeDays } });
        if (opts.quiet) return;
        process.stderr.write(`Wrote ${summary.techniquePages} technique pages (${summary.activePages} active) and the ${summary.matrices.join(', ')} matrices `
          + `to ${summary.outDir}: ${summary.files} files, ${(summary.bytes / 1e6).toFixed(1)} MB in ${summary.seconds.toFixed(1)} s\n`
          + `Open ${summary.outDir}/index.html in a browser, or serve the folder from any path.\n`);
      }).finally(() => store?.close());
    });
}
