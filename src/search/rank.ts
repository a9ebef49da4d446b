/**
 * The one search ranking of Purplebook: the CLI (`purplebook search`), the API (`/api/search`)
 * and the static site's search page all run `createSearch` over the same index (`SearchIndex`,
 * built by `search/index.ts`), so a query gives the same order everywhere.
 *
 * Order, best first:
 *   tier 0  the technique whose id the query is (`t1021.004`), then its sub-techniques (`t1021`);
 *   tier 1  techniques whose name is the query (`powershell` → T1059.001 PowerShell);
 *   tier 2  techniques whose name holds every word of the query (`ssh` → SSH Hijacking …);
 *   tier 3  techniques whose name and description together hold every word, by BM25 over the
 *           description plus how many resources with a matching title map to them;
 *   tier 4  resources (rules, tests, controls) whose title or upstream id holds every word;
 *   tier 5  resources whose description holds every word (the CLI and API index carries resource
 *           descriptions; the static site's, to stay small, does not).
 * Within a tier active techniques come before revoked and deprecated ones. A query word matches a
 * word that starts with it (`kerberoast` finds Kerberoasting); a final `s` is dropped from words
 * of four letters or more (`services` finds Service). Words of the index's stop list are ignored
 * in descriptions.
 *
 * `createSearch` is serialized with Function.prototype.toString into the site's script, so it
 * must stay self-contained: no imports, nothing referenced outside its body, no regular
 * expression that can backtrack.
 */

export type SearchGroup = 'technique' | 'rule' | 'test' | 'control';

/** The search index; arrays rather than objects keep the site's data file small. */
export interface SearchIndex {
  /** [name, title, group of its resources] */
  sources: [string, string, SearchGroup][];
  /** [id, name, domain slug, status, description words (see below), description length in words] */
  techniques: [string, string, string, string, string, number][];
  /**
   * [title, source index, upstream id, technique ids separated by spaces, description words, description length].
   * The last two are empty and 0 where descriptions are left out (the static site).
   */
  resources: [string, number, string, string, string, number][];
  /** Words too common to tell techniques apart; left out of the description words. */
  stop: string[];
}
// Description words: ` word word2:3 word3 ` — each distinct word once, lower case, with `:n`
// when it occurs n > 1 times, in a string with a space at both ends.

export interface SearchOptions {
  /** Only these groups (default: all). */
  groups?: readonly SearchGroup[];
  /** Only resources of these sources (techniques are left out when set). */
  sources?: readonly string[];
}

export interface RankedHit {
  group: SearchGroup;
  /** Index into `techniques` (group technique) or `resources`. */
  index: number;
  tier: number;
  /** Higher is better, within a tier. */
  score: number;
}

export interface SearchResult {
  /** Every hit, best first (filters applied). */
  hits: RankedHit[];
  /** Hits per group before the group filter: what the other groups would show. */
  counts: Record<SearchGroup, number>;
}

export interface Search {
  search(query: string, options?: SearchOptions): SearchResult;
  /** The words of a text as the ranking sees them (the index builder uses it for descriptions). */
  words(text: string): string[];
}

export function createSearch(index: SearchIndex): Search {
  const WORD_LIMIT = 12;
  const DOMAIN_ORDER = ['enterprise', 'mobile', 'ics'];
  const stop = new Set(index.stop);
  const lower = (s: string) => s.toLowerCase();
  /** Words of a text: runs of letters and digits, lower case (a single character class: linear time). */
  const words = (text: string): string[] => lower(text).match(/[\p{L}\p{N}]+/gu) ?? [];
  /** A query word as matched: a final `s` dropped from words of four letters or more (not `ss`). */
  const stem = (w: string) => (w.length >= 4 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
  const spaced = (ws: string[]) => ` ${ws.join(' ')} `;
  const isId = (q: string) => {
    if (q.length !== 5 && q.length !== 9) return false;
    if (q[0] !== 't') return false;
    for (let i = 1; i < q.length; i++) {
      const digit = q[i]! >= '0' && q[i]! <= '9';
      if (i === 5 ? q[i] !== '.' : !digit) return false;
    }
    return true;
  };

  // Prepared once per index: lower-case names and titles as space-delimited words.
  const techniqueNames = index.techniques.map((t) => spaced(words(t[1])));
  const techniqueNameText = index.techniques.map((t) => words(t[1]).join(' '));
  const resourceTitles = index.resources.map((r) => spaced(words(r[0])));
  const resourceTitleText = index.resources.map((r) => words(r[0]).join(' '));
  const resourceIds = index.resources.map((r) => lower(r[2]));
  const resourceTechniques = index.resources.map((r) => (r[3] ? r[3].split(' ') : []));
  const techniqueRow = new Map(index.techniques.map((t, i) => [t[0], i]));
  const sourceName = index.sources.map((s) => s[0]);
  const sourceGroup = index.sources.map((s) => s[2]);
  const averageLength = index.techniques.reduce((n, t) => n + t[5], 0) / Math.max(1, index.techniques.length);

  /** True when every term (with its leading space) starts some word of `hay` (` a b c `) or of `more`. */
  const holdsAll = (hay: string, spacedTerms: string[], more = '') => spacedTerms.every((t) => hay.includes(t) || more.includes(t));

  /** Occurrences of words starting with `term` in description words (` word:n `). */
  function occurrences(hay: string, term: string): number {
    let n = 0;
    let at = hay.indexOf(` ${term}`);
    while (at >= 0) {
      const end = hay.indexOf(' ', at + 1);
      const token = hay.slice(at + 1, end < 0 ? undefined : end);
      const colon = token.lastIndexOf(':');
      n += colon > 0 ? Number(token.slice(colon + 1)) || 1 : 1;
      at = end < 0 ? -1 : hay.indexOf(` ${term}`, end);
    }
    return n;
  }

  function search(query: string, options: SearchOptions = {}): SearchResult {
    const counts: Record<SearchGroup, number> = { technique: 0, rule: 0, test: 0, control: 0 };
    const q = lower(query.trim());
    const all = words(q).slice(0, WORD_LIMIT);
    const terms = all.map(stem);
    if (!terms.length) return { hits: [], counts };
    const phrase = all.join(' ');
    const textTerms = terms.filter((t) => !stop.has(t));
    const spacedTerms = terms.map((t) => ` ${t}`);
    const spacedTextTerms = textTerms.map((t) => ` ${t}`);
    const wantSources = options.sources?.length ? new Set(options.sources.map(lower)) : undefined;
    const hits: RankedHit[] = [];

    // Resources first: their title matches also weigh techniques of tier 3.
    const titleMatches = new Map<number, number>();
    for (let i = 0; i < index.resources.length; i++) {
      const r = index.resources[i]!;
      const group = sourceGroup[r[1]] ?? 'rule';
      if (wantSources && !wantSources.has(lower(sourceName[r[1]] ?? ''))) continue;
      let tier = -1;
      let score = 0;
      if (resourceIds[i] === q && q) {
        tier = 4;
        score = 1000;
      } else if (holdsAll(resourceTitles[i]!, spacedTerms)) {
        tier = 4;
        const title = resourceTitleText[i]!;
        score = title === phrase ? 300 : title.startsWith(phrase) ? 200 : title.includes(phrase) ? 100 : 0;
        score -= title.split(' ').length;
        for (const id of resourceTechniques[i]!) {
          const row = techniqueRow.get(id);
          if (row !== undefined) titleMatches.set(row, (titleMatches.get(row) ?? 0) + 1);
        }
      } else if (r[4] && textTerms.length && holdsAll(resourceTitles[i]!, spacedTextTerms, r[4])) {
        tier = 5;
        score = textTerms.reduce((n, t) => n + Math.log(1 + occurrences(r[4], t)), 0) / Math.log(2 + r[5]);
      }
      if (tier < 0) continue;
      hits.push({ group, index: i, tier, score });
    }

    if (!wantSources) {
      const idQuery = isId(q);
      for (let i = 0; i < index.techniques.length; i++) {
        const t = index.techniques[i]!;
        const id = lower(t[0]);
        let tier = -1;
        let score = 0;
        if (idQuery) {
          if (id === q) tier = 0;
          else if (id.startsWith(`${q}.`)) {
            tier = 0;
            score = -1;
          }
        }
        if (tier < 0) {
          const name = techniqueNameText[i]!;
          if (name === phrase || name === terms.join(' ')) tier = 1;
          else if (holdsAll(techniqueNames[i]!, spacedTerms)) {
            tier = 2;
            score = (name.startsWith(phrase) ? 20 : name.includes(phrase) ? 10 : 0) - name.split(' ').length;
          } else if (textTerms.length && holdsAll(techniqueNames[i]!, spacedTextTerms, t[4])) {
            tier = 3;
            // BM25 (k1 = 1.2, b = 0.75) of the description, plus the resources whose title matched.
            for (const term of textTerms) {
              const tf = occurrences(t[4], term) + (techniqueNames[i]!.includes(` ${term}`) ? 3 : 0);
              score += (tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * t[5]) / averageLength));
            }
            score += Math.log(1 + (titleMatches.get(i) ?? 0));
          }
        }
        if (tier < 0) continue;
        // Revoked and deprecated techniques (but an exact id) after every active technique.
        if (t[3] !== 'active' && tier > 0) {
          tier = Math.max(tier, 3);
          score -= 10000;
        }
        hits.push({ group: 'technique', index: i, tier, score });
      }
    }

    for (const h of hits) counts[h.group]++;
    const groups = options.groups?.length ? new Set(options.groups) : undefined;
    const kept = groups ? hits.filter((h) => groups.has(h.group)) : hits;
    const label = (h: RankedHit) => (h.group === 'technique' ? index.techniques[h.index]![0] : index.resources[h.index]![0]);
    // Equal techniques: Enterprise before Mobile before ICS (the same name exists in several matrices).
    const domainRank = (h: RankedHit) => (h.group === 'technique' ? DOMAIN_ORDER.indexOf(index.techniques[h.index]![2]) : 0);
    kept.sort((a, b) => {
      if (a.tier !== b.tier) return a.tier - b.tier;
      if (a.score !== b.score) return b.score - a.score;
      if (domainRank(a) !== domainRank(b)) return domainRank(a) - domainRank(b);
      const la = label(a);
      const lb = label(b);
      return la.length - lb.length || (la < lb ? -1 : la > lb ? 1 : a.index - b.index);
    });
    return { hits: kept, counts };
  }

  return { search, words };
}
