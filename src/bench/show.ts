/**
 * Page generation throughput over every technique, one output format per process. The first pass
 * starts with empty knowledge-base caches (what one `site` run or a fresh server pays); the second
 * is the steady state of a long-lived process. Both are reported.
 */
import { KnowledgeBase } from '../kb/open.js';
import { buildPage } from '../page/build.js';
import { renderMarkdown } from '../render/markdown.js';
import { maxRssMb, percentile, timeEach } from './stats.js';

export type ShowFormat = 'markdown' | 'json';

export interface PassResult {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  totalMs: number;
}

export interface ShowResult {
  format: ShowFormat;
  pages: number;
  chars: number;
  first: PassResult;
  steady: PassResult;
  rssMb: number;
}

export function measureShow(dbPath: string, format: ShowFormat): ShowResult {
  const kb = KnowledgeBase.open(dbPath);
  try {
    const ids = kb.techniques().map((t) => t.id);
    const render = format === 'markdown'
      ? (id: string) => renderMarkdown(buildPage(kb, id)!)
      : (id: string) => JSON.stringify(buildPage(kb, id));
    let chars = 0;
    const pass = (): PassResult => {
      chars = 0;
      const r = timeEach(ids, (id) => { chars += render(id).length; });
      return {
        perSec: ids.length / (r.totalMs / 1000), p50Ms: percentile(r.sorted, 50), p99Ms: percentile(r.sorted, 99),
        maxMs: r.sorted[r.sorted.length - 1] ?? 0, totalMs: r.totalMs,
      };
    };
    const first = pass();
    const steady = pass();
    return { format, pages: ids.length, chars, first, steady, rssMb: maxRssMb() };
  } finally {
    kb.close();
  }
}
