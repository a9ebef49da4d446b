/** Every active technique's page, in domain then id order, one at a time (flat memory). */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import { buildPage, type PageOptions } from './build.js';
import type { Page } from './types.js';

export function* activePages(kb: KnowledgeBase, opts: PageOptions & { domain?: Domain } = {}): Generator<Page> {
  for (const t of kb.techniques()) {
    if (t.status !== 'active' || (opts.domain && t.domain !== opts.domain)) continue;
    const page = buildPage(kb, t.id, opts);
    if (page) yield page;
  }
}

/** Count per source on a page (direct mappings), by source name. */
export function sourceCounts(page: Page): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of page.sections) for (const src of s.sources) m.set(src.source, src.count);
  return m;
}
