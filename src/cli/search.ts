import type { Command } from 'commander';
import { closeValues } from '../page/suggest.js';
import { SEARCH_GROUPS, searchKb, type SearchAnswer } from '../search/index.js';
import type { SearchGroup } from '../search/rank.js';
import { CliError, dbOption, EXIT_BAD_INPUT, formatOf, out, parsePositiveInt, unknownValue, withFormatOptions, withKb } from './common.js';
import { collect } from './common.js';

export const MAX_SEARCH_LIMIT = 200;

const HEADINGS: Record<SearchGroup, string> = { technique: 'Techniques', rule: 'Detection rules', test: 'Tests', control: 'Controls' };
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The page's hits under a heading per kind, in rank order within each. */
function renderText(a: SearchAnswer): string {
  const c = a.counts;
  const first = a.total ? a.offset + 1 : 0;
  const last = a.offset + a.hits.length;
  const lines = [`"${a.query}": ${plural(a.total, 'result')} (${plural(c.technique, 'technique')} · ${plural(c.rule, 'rule')} · ${plural(c.test, 'test')} · `
    + `${plural(c.control, 'control')})${a.total > a.hits.length ? `, showing ${first}–${last}${last < a.total ? `; --offset ${last} for more` : ''}` : ''}`];
  for (const g of SEARCH_GROUPS) {
    const hits = a.hits.filter((h) => h.kind === g);
    if (!hits.length) continue;
    lines.push('', HEADINGS[g]);
    for (const h of hits) {
      lines.push(h.kind === 'technique'
        ? `  ${h.title}`
        : `  ${(h.source ?? '').padEnd(12)} ${h.title}  [${h.techniques.join(', ')}]${h.url ? `  ${h.url}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerSearch(program: Command): void {
  withFormatOptions(program
    .command('search')
    .description('search techniques, rules, tests and controls: exact id, then technique names, then technique descriptions, then resources')
    .argument('<text...>', 'words to look for, or a technique id'), ['text', 'json'], 'text')
    .option('--limit <n>', `results per page (default 20, max ${MAX_SEARCH_LIMIT})`, '20')
    .option('--offset <n>', 'results to skip: the next page starts at the previous limit', '0')
    .option('--kind <kind>', `only these kinds: ${SEARCH_GROUPS.join(', ')} (repeatable, or comma-separated)`, collect)
    .option('--source <name>', 'only resources of these sources (repeatable, or comma-separated)', collect)
    .addOption(dbOption())
    .action(async (words: string[], opts: { limit: string; offset: string; kind?: string[]; source?: string[]; format?: string; json?: boolean; db?: string }) => {
      const format = formatOf(opts, ['text', 'json'], 'text');
      const limit = parsePositiveInt(opts.limit, '--limit');
      if (limit === 0) throw new CliError('--limit must be at least 1', EXIT_BAD_INPUT);
      const offset = parsePositiveInt(opts.offset, '--offset');
      const kinds = (opts.kind ?? []).map((k) => k.toLowerCase().replace(/s$/, ''));
      for (const [i, k] of kinds.entries()) {
        if (!(SEARCH_GROUPS as readonly string[]).includes(k)) throw unknownValue('--kind', opts.kind![i]!, SEARCH_GROUPS, closeValues(k, SEARCH_GROUPS));
      }
      const text = words.join(' ');
      if (!text.trim()) throw new CliError('nothing to search for', EXIT_BAD_INPUT);
      await withKb(opts.db, async (kb) => {
        const loaded = kb.sources().filter((s) => s.loaded).map((s) => s.name);
        const sources = (opts.source ?? []).map((s) => s.toLowerCase());
        for (const [i, s] of sources.entries()) if (!loaded.includes(s)) throw unknownValue('--source', opts.source![i]!, loaded, closeValues(s, loaded));
        const answer = searchKb(kb, { query: text, limit: Math.min(limit, MAX_SEARCH_LIMIT), offset, kinds: kinds as SearchGroup[], sources });
        if (format === 'json') return out(`${JSON.stringify(answer, null, 2)}\n`);
        if (!answer.total) return out(`no match for "${text}"\n`);
        return out(renderText(answer));
      });
    });
}
