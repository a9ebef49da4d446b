/**
 * One technique reduced to what filters, matrices, layers and coverage need, computed from the same
 * Page the technique page shows: the CLI, the site, the server and the layers never disagree.
 */
import type { Domain, Status } from '../attack/types.js';
import type { KnowledgeBase, SourceRow, TechniqueRow } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import { buildPage } from './build.js';
import type { Page, PageSummary } from './types.js';
import { summaryOf } from './validation.js';

/** One technique reduced to what filters, matrices and layers need. */
export interface TechniqueSummary {
  id: string;
  name: string;
  domain: Domain;
  status: Status;
  isSub: boolean;
  parent: string | null;
  /** Tactic shortnames in matrix order. */
  tactics: string[];
  platforms: string[];
  summary: PageSummary;
  /** Direct (non-deprecated) resources per source name, as on the page. */
  counts: Record<string, number>;
  /** Of those, the guidance resources per source (sources with any only). */
  guidance: Record<string, number>;
}

export function summarize(page: Page, row: TechniqueRow): TechniqueSummary {
  const counts: Record<string, number> = {};
  const guidance: Record<string, number> = {};
  for (const section of page.sections) {
    for (const src of section.sources) {
      counts[src.source] = src.count;
      if (src.guidance) guidance[src.source] = src.guidance;
    }
  }
  return {
    id: page.id, name: page.name, domain: page.domain, status: page.status, isSub: row.isSub, parent: row.parent,
    tactics: row.tactics, platforms: page.platforms, summary: page.summary, counts, guidance,
  };
}

/** Every technique of the knowledge base (all statuses), in domain then id order. */
export function summarizeAll(kb: KnowledgeBase, stack?: Stack): TechniqueSummary[] {
  const out: TechniqueSummary[] = [];
  for (const row of kb.techniques()) {
    const page = buildPage(kb, row.id, { stack });
    if (page) out.push(summarize(page, row));
  }
  return out;
}

/**
 * A summary of every source re-computed for a control stack, without building the page again:
 * the counts of the stack's sources, and volumes and class by the one definition (summaryOf).
 */
export function forStack(t: TechniqueSummary, sources: readonly SourceRow[], stack: Stack | undefined): TechniqueSummary {
  if (!stack) return t;
  const counts: Record<string, number> = {};
  const guidance: Record<string, number> = {};
  const tallies = [];
  for (const s of sources) {
    if (!inStack(stack, s.name) || t.counts[s.name] === undefined) continue;
    counts[s.name] = t.counts[s.name]!;
    if (t.guidance[s.name]) guidance[s.name] = t.guidance[s.name]!;
    tallies.push({ source: s.name, pillar: s.pillar, count: counts[s.name]!, guidance: guidance[s.name] ?? 0 });
  }
  return { ...t, counts, guidance, summary: summaryOf(tallies) };
}

/** `forStack` over a list. */
export function summariesForStack(all: readonly TechniqueSummary[], sources: readonly SourceRow[], stack: Stack | undefined): TechniqueSummary[] {
  return stack ? all.map((t) => forStack(t, sources, stack)) : [...all];
}

/** The summaries a control stack counts: re-computed from ones already built, else built now. */
export function summariesOf(kb: KnowledgeBase, stack?: Stack, built?: readonly TechniqueSummary[]): TechniqueSummary[] {
  return built ? summariesForStack(built, kb.sources(), stack) : summarizeAll(kb, stack);
}
