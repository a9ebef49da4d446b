/**
 * Everything the site's pages derive from a knowledge base beyond a single Page: technique
 * summaries, matrix data, the search index. The static site and the server share it.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase, TacticRow } from '../kb/open.js';
import { buildSearchIndex } from '../search/index.js';
import type { SearchIndex } from '../search/rank.js';
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
  kind: MeasureKind;
  /** Count level lower bounds (counts only). */
  edges: number[];
  legend: Omit<LegendEntry, 'fill' | 'text'>[];
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

/** The search page's first file: the techniques of the shared ranking's index and what the shards refer to. */
export interface SearchTechniques {
  /** The knowledge base build: a shard of another build is not used with this list. */
  build: string;
  /** Shard keys that exist (a–z, 0 for digits, _ for anything else). */
  shards: string[];
  sources: SearchIndex['sources'];
  techniques: SearchIndex['techniques'];
  stop: SearchIndex['stop'];
}

/** [title, source index, short upstream id or '', first technique indexes, number of techniques when more than listed] */
export type ShardEntry = [string, number, string, number[]] | [string, number, string, number[], number];

/** The resources with a word starting with one character: a query loads the one shard its first word names. */
export interface SearchShard {
  build: string;
  resources: ShardEntry[];
}

/** Techniques a search hit names; the technique page lists them all. */
const HIT_TECHNIQUES = 3;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Words of a text as the search page splits them, lower-case. */
export function searchWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Shard key of a word: its first letter (a–z), 0 for a digit, _ for anything else. */
export function shardKey(word: string): string {
  return /^[a-z]/.test(word) ? word[0]! : /^[0-9]/.test(word) ? '0' : '_';
}

export class SiteModel {
  private summaryList?: TechniqueSummary[];
  private summaryById?: Map<string, TechniqueSummary>;
  private measureList?: Measure[];
  private readonly matrixCache = new Map<Domain, MatrixData>();
  private searchCache?: SearchData;
  private shardCache?: { techniques: SearchTechniques; shards: Map<string, SearchShard> };

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

  /**
   * The search index in pieces, so the first query loads little: the technique list, then the shard
   * of the query's first word. A resource is in the shard of each of its words' first characters;
   * UUIDs are left out of its searchable id (nobody types one), and it names its first techniques only.
   */
  searchIndex(): { techniques: SearchTechniques; shards: Map<string, SearchShard> } {
    if (this.shardCache) return this.shardCache;
    const full = this.searchData();
    const build = this.kb.meta('built_at') ?? '';
    const index = new Map(full.techniques.map((t, i) => [t[0], i]));
    const shards = new Map<string, SearchShard>();
    for (const [title, source, upstreamId, ids] of full.resources) {
      const shortId = upstreamId && !UUID.test(upstreamId) && upstreamId !== title && upstreamId.length <= 40 ? upstreamId : '';
      const list = ids.split(' ');
      const first = list.slice(0, HIT_TECHNIQUES).map((id) => index.get(id)!).filter((n) => n !== undefined);
      const entry: ShardEntry = list.length > HIT_TECHNIQUES ? [title, source, shortId, first, list.length] : [title, source, shortId, first];
      for (const key of new Set(searchWords(`${title} ${shortId}`).map(shardKey))) {
        let shard = shards.get(key);
        if (!shard) shards.set(key, (shard = { build, resources: [] }));
        shard.resources.push(entry);
      }
    }
    const keys = [...shards.keys()].sort();
    this.shardCache = { techniques: { build, shards: keys, sources: full.sources, techniques: full.techniques, stop: full.stop }, shards: new Map(keys.map((k) => [k, shards.get(k)!])) };
    return this.shardCache;
  }
}

/** A data file usable from file:// (no fetch): a script that assigns one global. */
export function dataScript(global: string, data: unknown): string {
  return `window.${global} = ${JSON.stringify(data)};\n`;
}

/** A shard's data file: several shards may load into one page, so each adds itself to one global map. */
export function shardScript(key: string, shard: SearchShard): string {
  return `(window.PURPLEBOOK_SEARCH_SHARDS = window.PURPLEBOOK_SEARCH_SHARDS || {})[${JSON.stringify(key)}] = ${JSON.stringify(shard)};\n`;
}
