import type { Command } from 'commander';
import { SiteError, writeSite } from '../site/generate.js';
import { CliError, DB_OPTION_HELP, EXIT_BAD_INPUT, withKb } from './common.js';

export function registerSite(program: Command): void {
  program
    .command('site')
    .description('write the static site: every technique page (HTML + markdown), a matrix per domain, offline search, sources, Navigator layers')
    .option('--out <dir>', 'output folder, replaced atomically', 'site-out')
    .option('--db <file>', DB_OPTION_HELP)
    .option('--quiet', 'print nothing but errors')
    .action(async (opts: { out: string; db?: string; quiet?: boolean }) => {
      await withKb(opts.db, (kb) => {
        let summary;
        try {
          summary = writeSite({ kb, outDir: opts.out, quiet: opts.quiet });
        } catch (e) {
          if (e instanceof SiteError) throw new CliError(e.message, EXIT_BAD_INPUT);
          throw e;
        }
        if (opts.quiet) return;
        process.stderr.write(`Wrote ${summary.techniquePages} technique pages (${summary.activePages} active) and the ${summary.matrices.join(', ')} matrices `
          + `to ${summary.outDir}: ${summary.files} files, ${(summary.bytes / 1e6).toFixed(1)} MB in ${summary.seconds.toFixed(1)} s\n`
          + `Open ${summary.outDir}/index.html in a browser, or serve the folder from any path.\n`);
      });
    });
}
