import type { Command } from 'commander';
import { CliError, DB_OPTION_HELP, EXIT_BAD_INPUT, out, parsePositiveInt, withKb } from './common.js';

export const MAX_SEARCH_LIMIT = 200;

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('search techniques and resources (full-text, ranked)')
    .argument('<text...>', 'words to look for, or a technique id')
    .option('--limit <n>', `number of results (max ${MAX_SEARCH_LIMIT})`, '20')
    .option('--json', 'machine-readable output')
    .option('--db <file>', DB_OPTION_HELP)
    .action(async (words: string[], opts: { limit: string; json?: boolean; db?: string }) => {
      const limit = Math.min(parsePositiveInt(opts.limit, '--limit'), MAX_SEARCH_LIMIT);
      const text = words.join(' ');
      if (!text.trim()) throw new CliError('nothing to search for', EXIT_BAD_INPUT);
      await withKb(opts.db, async (kb) => {
        const hits = kb.search(text, limit);
        if (opts.json) return out(`${JSON.stringify(hits, null, 2)}\n`);
        if (!hits.length) return out(`no match for "${text}"\n`);
        return out(hits.map((h) => h.kind === 'technique'
          ? `technique  ${h.title}`
          : `${(h.source ?? '').padEnd(10)} ${h.title}  [${h.techniques.join(', ')}]${h.url ? `  ${h.url}` : ''}`).join('\n') + '\n');
      });
    });
}
