/**
 * Everything the site's pages derive from a knowledge base beyond a single Page: technique
 * summaries, matrix data, the search index. The static site and the server share it.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase, TacticRow } from '../kb/open.js';
import { buildSearchIndex } from '../search/index.js';
import type { SearchIndex } from '../search/rank.js';
import { splitSearchIndex, type SearchFiles } from './search-files.js';
import { DEFAULT_MEASURE, countEdges, listMeasures, type Measure, type MeasureKind } from '../page/measures.js';
import { summarizeAll, type TechniqueSummary } from '../page/summary.js';
import { legendFor, type LegendEntry } from '../render/palette.js';

export interface DomainPage {
  domain: Domain;
  /** Page and file name: `enterprise`, `mobile`, `ics`. */
  slug: string;
  title: string;
}

export const DOMAIN_PAGES: readonly DomainPage[] = [
  { domain: 'enterprise-attack', slug: 'enterprise', title: 'Enterprise' },
  { domain: 'mobile-attack', slug: 'mobile', title: 'Mobile' },
  { domain: 'ics-attack', slug: 'ics', title: 'ICS' },
];

export interface MatrixMeasure {
  id: string;
  label: string;
  /** `outcome`: the results measure of `--results` (results/matrix.ts); its value indexes `legend`. */
  kind: MeasureKind | 'outcome';
  /** Count level lower bounds (counts only). */
  edges: number[];
  legend: Omit<LegendEntry, 'fill' | 'text'>[];
  /** Outcome measures: the text a cell shows per value. */
  short?: string[];
}

/** The matrix page's data file: one value per measure per technique, aligned with `measures`. */
export interface MatrixData {
  domain: Domain;
  defaultMeasure: string;
  measures: MatrixMeasure[];
  values: Record<string, number[]>;
}

/** The search page's data file: the index of the one search ranking (search/rank.ts), without resource descriptions. */
export type SearchData = SearchIndex;

export class SiteModel {
  private summaryList?: TechniqueSummary[];
  private summaryById?: Map<string, TechniqueSummary>;
  private measureList?: Measure[];
  private readonly matrixCache = new Map<Domain, MatrixData>();
  private searchCache?: SearchData;
  private filesCache?: SearchFiles;

  /** `summaries` may be given when the caller already built every page (the site generator). */
  constructor(readonly kb: KnowledgeBase, summaries?: TechniqueSummary[]) {
    this.summaryList = summaries;
  }

  /** Every technique, all statuses; computed on first use (one Page per technique). */
  get summaries(): TechniqueSummary[] {
    this.summaryList ??= summarizeAll(this.kb);
    return this.summaryList;
  }

  summary(id: string): TechniqueSummary | undefined {
    this.summaryById ??= new Map(this.summaries.map((s) => [s.id, s]));
    return this.summaryById.get(id);
  }

  get measures(): Measure[] {
    this.measureList ??= listMeasures(this.kb);
    return this.measureList;
  }

  /** Domains with a loaded matrix, in the usual order. */
  domains(): DomainPage[] {
    const present = new Set(this.kb.tactics().map((t) => t.domain));
    return DOMAIN_PAGES.filter((d) => present.has(d.domain));
  }

  tactics(domain: Domain): TacticRow[] {
    return this.kb.tactics().filter((t) => t.domain === domain).sort((a, b) => a.order - b.order);
  }

  matrixData(domain: Domain): MatrixData {
    let data = this.matrixCache.get(domain);
    if (data) return data;
    const active = this.summaries.filter((s) => s.domain === domain && s.status === 'active');
    const measures: MatrixMeasure[] = [];
    const columns: number[][] = [];
    for (const m of this.measures) {
      const column = active.map((t) => m.value(t));
      const edges = m.kind === 'count' ? countEdges(column) : [];
      measures.push({ id: m.id, label: m.label, kind: m.kind, edges, legend: legendFor(m, edges).map(({ label, key }) => ({ label, key })) });
      columns.push(column);
    }
    const values: Record<string, number[]> = {};
    active.forEach((t, i) => {
      values[t.id] = columns.map((c) => c[i]!);
    });
    data = { domain, defaultMeasure: DEFAULT_MEASURE, measures, values };
    this.matrixCache.set(domain, data);
    return data;
  }

  searchData(): SearchData {
    this.searchCache ??= buildSearchIndex(this.kb);
    return this.searchCache;
  }

  /** The search index in pieces (search-files.ts), so the first query loads little. */
  searchFiles(): SearchFiles {
    this.filesCache ??= splitSearchIndex(this.searchData(), this.kb.meta('built_at') ?? '');
    return this.filesCache;
  }
}

/** A data file usable from file:// (no fetch): a script that assigns one global. */
export function dataScript(global: string, data: unknown): string {
  return `window.${global} = ${JSON.stringify(data)};\n`;
}
