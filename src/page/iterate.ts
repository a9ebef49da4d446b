/** Every active technique's page, in domain then id order, one at a time (flat memory). */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import { buildPage, type PageOptions } from './build.js';
import type { Page, PageSummary, ValidationClass } from './types.js';
import { classCounts } from './validation.js';

export function* activePages(kb: KnowledgeBase, opts: PageOptions & { domain?: Domain } = {}): Generator<Page> {
  for (const t of kb.techniques()) {
    if (t.status !== 'active' || (opts.domain && t.domain !== opts.domain)) continue;
    const page = buildPage(kb, t.id, opts);
    if (page) yield page;
  }
}

/** Per domain, how many active techniques fall in each validation class (for the stack, if any). */
export function classCountsByDomain(kb: KnowledgeBase, opts: PageOptions = {}): Record<string, Record<ValidationClass, number>> {
  const byDomain = new Map<string, PageSummary[]>();
  for (const p of activePages(kb, opts)) {
    const list = byDomain.get(p.domain);
    if (list) list.push(p.summary);
    else byDomain.set(p.domain, [p.summary]);
  }
  return Object.fromEntries([...byDomain].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, list]) => [d, classCounts(list)]));
}
