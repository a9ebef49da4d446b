/**
 * The search index of a knowledge base (see rank.ts for the ranking), and the query the CLI and
 * the API answer with: ranked hits with their titles and links, grouped counts, paging.
 */
import type { KnowledgeBase } from '../kb/open.js';
import type { Pillar } from '../core/types.js';
import { createSearch, type Search, type SearchGroup, type SearchIndex } from './rank.js';

export const SEARCH_GROUPS: readonly SearchGroup[] = ['technique', 'rule', 'test', 'control'];

const GROUP_OF_PILLAR: Record<Pillar, SearchGroup> = { detection: 'rule', test: 'test', policy: 'control' };

/** Domain page slugs, as the site names its matrices. */
const SLUG: Record<string, string> = { 'enterprise-attack': 'enterprise', 'mobile-attack': 'mobile', 'ics-attack': 'ics' };

/** English words that say nothing about a technique; with the words most descriptions share, left out of descriptions. */
const STOP_WORDS = [
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'been', 'by', 'can', 'for', 'from', 'has', 'have', 'if', 'in', 'into', 'is', 'it', 'its',
  'may', 'not', 'of', 'on', 'or', 'such', 'than', 'that', 'the', 'their', 'these', 'they', 'this', 'to', 'was', 'were', 'which', 'will', 'with',
];
/** A word in more than this share of technique descriptions does not tell them apart. */
const COMMON_SHARE = 0.4;
/** Description characters indexed per resource: titles carry most of the meaning, and the CLI reads the index at every call. */
const RESOURCE_TEXT_MAX = 1000;

const tokenizer = createSearch({ sources: [], techniques: [], resources: [], stop: [] });

/**
 * The prose of an ATT&CK description: `(Citation: …)` markers and the addresses of markdown links
 * name authors and hosts, not the technique.
 */
function prose(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const citation = text.indexOf('(Citation:', at);
    const link = text.indexOf('](', at);
    const next = citation < 0 ? link : link < 0 ? citation : Math.min(citation, link);
    if (next < 0) return out + text.slice(at);
    const end = text.indexOf(')', next + 2);
    out += `${text.slice(at, next)} `;
    if (end < 0) return out;
    at = end + 1;
  }
}

/** ` word word2:3 ` (see rank.ts) and the number of words, stop words left out. */
function descriptionWords(text: string, stop: Set<string>): [string, number] {
  const counts = new Map<string, number>();
  const all = tokenizer.words(prose(text));
  for (const w of all) if (!stop.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
  if (!counts.size) return ['', all.length];
  return [` ${[...counts].map(([w, n]) => (n > 1 ? `${w}:${n}` : w)).join(' ')} `, all.length];
}

export interface IndexOptions {
  /** Index resource descriptions too (CLI, API); the static site leaves them out to stay small. */
  resourceText?: boolean;
}

/** The search index of a knowledge base: every technique (all statuses) and every non-deprecated mapped resource. */
export function buildSearchIndex(kb: KnowledgeBase, opts: IndexOptions = {}): SearchIndex {
  return indexWithUrls(kb, opts).index;
}

/** The index, and each resource's link (aligned with `index.resources`) for answers that show it. */
function indexWithUrls(kb: KnowledgeBase, opts: IndexOptions): { index: SearchIndex; urls: (string | null)[] } {
  const sources = kb.sources().filter((s) => s.loaded);
  const sourceIndex = new Map(sources.map((s, i) => [s.name, i]));
  const techniques = kb.techniques();

  const share = new Map<string, number>();
  const active = techniques.filter((t) => t.status === 'active');
  for (const t of active) for (const w of new Set(tokenizer.words(prose(t.description)))) share.set(w, (share.get(w) ?? 0) + 1);
  const common = [...share].filter(([, n]) => n > COMMON_SHARE * active.length).map(([w]) => w);
  const stop = [...new Set([...STOP_WORDS, ...common])].sort();
  const stopSet = new Set(stop);

  const rows = kb.db.prepare(`SELECT r.source, r.title, r.upstream_id, r.url, ${opts.resourceText ? 'r.description' : "''"} AS description,
      group_concat(m.technique, ' ') AS techniques
    FROM resources r JOIN mappings m ON m.resource = r.id
    WHERE r.deprecated = 0 GROUP BY r.id ORDER BY r.source, r.title, r.key`).all() as {
    source: string; title: string; upstream_id: string | null; url: string | null; description: string | null; techniques: string;
  }[];
  const resources: SearchIndex['resources'] = [];
  const urls: (string | null)[] = [];
  for (const r of rows) {
    const i = sourceIndex.get(r.source);
    if (i === undefined) continue;
    const [text, length] = opts.resourceText && r.description ? descriptionWords(r.description.slice(0, RESOURCE_TEXT_MAX), stopSet) : ['', 0];
    resources.push([r.title, i, r.upstream_id ?? '', r.techniques.split(' ').sort().join(' '), text, length]);
    urls.push(r.url);
  }
  const index: SearchIndex = {
    sources: sources.map((s) => [s.name, s.title, GROUP_OF_PILLAR[s.pillar] ?? 'rule']),
    techniques: techniques.map((t) => [t.id, t.name, SLUG[t.domain] ?? t.domain, t.status, ...descriptionWords(t.description, stopSet)]),
    resources,
    stop,
  };
  return { index, urls };
}

export interface SearchHitView {
  /** technique, rule, test or control. */
  kind: SearchGroup;
  /** Technique id, or the resource's `source:upstream id` (its title when it has none). */
  ref: string;
  title: string;
  source?: string;
  url?: string;
  /** The technique itself, or the techniques the resource maps to. */
  techniques: string[];
  /** 0 exact id … 5 resource description: see rank.ts. */
  tier: number;
}

export interface SearchAnswer {
  query: string;
  /** Hits after the filters, all pages. */
  total: number;
  offset: number;
  limit: number;
  /** Hits per kind before the kind filter. */
  counts: Record<SearchGroup, number>;
  hits: SearchHitView[];
}

export interface SearchRequest {
  query: string;
  limit: number;
  offset?: number;
  kinds?: readonly SearchGroup[];
  sources?: readonly string[];
}

/** One index and ranker per open knowledge base (the server keeps one per build it serves). */
const cache = new WeakMap<KnowledgeBase, { index: SearchIndex; search: Search; urls: (string | null)[] }>();

function prepared(kb: KnowledgeBase) {
  let entry = cache.get(kb);
  if (!entry) {
    const { index, urls } = indexWithUrls(kb, { resourceText: true });
    entry = { index, search: createSearch(index), urls };
    cache.set(kb, entry);
  }
  return entry;
}

/** Ranked, filtered and paged search over a knowledge base: what `purplebook search` prints and `/api/search` answers. */
export function searchKb(kb: KnowledgeBase, req: SearchRequest): SearchAnswer {
  const { index, search, urls } = prepared(kb);
  const result = search.search(req.query, { groups: req.kinds, sources: req.sources });
  const offset = req.offset ?? 0;
  const page = result.hits.slice(offset, offset + req.limit);
  const hits = page.map((h): SearchHitView => {
    if (h.group === 'technique') {
      const t = index.techniques[h.index]!;
      return { kind: 'technique', ref: t[0], title: `${t[0]} ${t[1]}`, url: kb.technique(t[0])?.url, techniques: [t[0]], tier: h.tier };
    }
    const r = index.resources[h.index]!;
    const source = index.sources[r[1]]![0];
    const url = urls[h.index];
    return { kind: h.group, ref: `${source}:${r[2] || r[0]}`, title: r[0], source, ...(url ? { url } : {}), techniques: r[3].split(' '), tier: h.tier };
  });
  return { query: req.query, total: result.hits.length, offset, limit: req.limit, counts: result.counts, hits };
}
