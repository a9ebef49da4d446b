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
  search: (query: string, options?: SearchOptions) => SearchResult;
  /** The words of a text as the ranking sees them (the index builder uses it for descriptions). */
  words: (text: string) => string[];
  /** The distinct terms a query is matched by (its first words, stemmed): what the site's search pieces are chosen by. */
  terms: (query: string) => string[];
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
  const isId = (q: string) => {
    if (q.length !== 5 && q.length !== 9) return false;
    if (q[0] !== 't') return false;
    for (let i = 1; i < q.length; i++) {
      const digit = q[i]! >= '0' && q[i]! <= '9';
      if (i === 5 ? q[i] !== '.' : !digit) return false;
    }
    return true;
  };

  // Prepared once per index: for each field, its sorted vocabulary and each word's documents with
  // counts, so a query word finds every word it starts by binary search instead of scanning text.
  interface Field { vocab: string[]; docs: Map<string, number[]>; size: number; pool: Float64Array[] }
  function makeField(size: number, fill: (add: (doc: number, word: string, count: number) => void) => void): Field {
    const docs = new Map<string, number[]>();
    fill((doc, word, count) => {
      const list = docs.get(word);
      if (list) list.push(doc, count);
      else docs.set(word, [doc, count]);
    });
    return { vocab: [...docs.keys()].sort(), docs, size, pool: [] };
  }
  /** ` word word2:3 ` → (word, count) pairs. */
  function eachCounted(text: string, add: (word: string, count: number) => void): void {
    for (const token of text.split(' ')) {
      if (!token) continue;
      const colon = token.indexOf(':');
      if (colon < 0) add(token, 1);
      else add(token.slice(0, colon), Number(token.slice(colon + 1)) || 1);
    }
  }
  const techniqueNameText = index.techniques.map((t) => words(t[1]).join(' '));
  const resourceTitleText = index.resources.map((r) => words(r[0]).join(' '));
  const nameField = makeField(index.techniques.length, (add) => techniqueNameText.forEach((n, i) => n.split(' ').forEach((w) => w && add(i, w, 1))));
  const textField = makeField(index.techniques.length, (add) => index.techniques.forEach((t, i) => eachCounted(t[4], (w, n) => add(i, w, n))));
  const titleField = makeField(index.resources.length, (add) => resourceTitleText.forEach((n, i) => n.split(' ').forEach((w) => w && add(i, w, 1))));
  const bodyField = makeField(index.resources.length, (add) => index.resources.forEach((r, i) => eachCounted(r[4], (w, n) => add(i, w, n))));
  const resourceIds = index.resources.map((r) => lower(r[2]));
  const resourceTechniques = index.resources.map((r) => (r[3] ? r[3].split(' ') : []));
  const techniqueRow = new Map(index.techniques.map((t, i) => [t[0], i]));
  const sourceName = index.sources.map((s) => s[0]);
  const sourceGroup = index.sources.map((s) => s[2]);
  const averageLength = index.techniques.reduce((n, t) => n + t[5], 0) / Math.max(1, index.techniques.length);

  /**
   * Per document of a field, how often words starting with `term` occur (0: none). The arrays are
   * reused from query to query (slot = the term's place in the query): no garbage per search.
   */
  function frequencies(field: Field, term: string, slot: number): Float64Array {
    const out = (field.pool[slot] ??= new Float64Array(field.size));
    out.fill(0);
    let lo = 0;
    let hi = field.vocab.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (field.vocab[mid]! < term) lo = mid + 1;
      else hi = mid;
    }
    for (let w = lo; w < field.vocab.length && field.vocab[w]!.startsWith(term); w++) {
      const list = field.docs.get(field.vocab[w]!)!;
      for (let k = 0; k < list.length; k += 2) (out[list[k]!] as number) += list[k + 1]!;
    }
    return out;
  }

  const termsOf = (all: string[]) => [...new Set(all.map(stem))];

  function search(query: string, options: SearchOptions = {}): SearchResult {
    const counts: Record<SearchGroup, number> = { technique: 0, rule: 0, test: 0, control: 0 };
    const q = lower(query.trim());
    const all = words(q).slice(0, WORD_LIMIT);
    const terms = termsOf(all);
    if (!terms.length) return { hits: [], counts };
    const phrase = all.join(' ');
    const stemmed = all.map(stem).join(' ');
    const textTerms = terms.filter((t) => !stop.has(t));
    const wantSources = options.sources?.length ? new Set(options.sources.map(lower)) : undefined;
    const hits: RankedHit[] = [];
    const textSlots = textTerms.map((t) => terms.indexOf(t));
    const tf = (field: Field) => terms.map((t, slot) => frequencies(field, t, slot));
    /** Every term (by slot) in the first field, or in the second. */
    const inAll = (slots: number[], i: number, a: Float64Array[], b?: Float64Array[]) => {
      for (const k of slots) if (!(a[k]![i]! > 0 || (b !== undefined && b[k]![i]! > 0))) return false;
      return true;
    };
    const allSlots = terms.map((_, k) => k);

    // Resources first: their title matches also weigh techniques of tier 3.
    const titleMatches = new Map<number, number>();
    const title = tf(titleField);
    const body = tf(bodyField);
    for (let i = 0; i < index.resources.length; i++) {
      const r = index.resources[i]!;
      const group = sourceGroup[r[1]] ?? 'rule';
      if (wantSources && !wantSources.has(lower(sourceName[r[1]] ?? ''))) continue;
      let tier = -1;
      let score = 0;
      if (resourceIds[i] === q) {
        tier = 4;
        score = 1000;
      } else if (inAll(allSlots, i, title)) {
        tier = 4;
        const text = resourceTitleText[i]!;
        score = text === phrase ? 300 : text.startsWith(phrase) ? 200 : text.includes(phrase) ? 100 : 0;
        score -= text.split(' ').length;
        for (const id of resourceTechniques[i]!) {
          const row = techniqueRow.get(id);
          if (row !== undefined) titleMatches.set(row, (titleMatches.get(row) ?? 0) + 1);
        }
      } else if (r[4] && textSlots.length && inAll(textSlots, i, title, body)) {
        tier = 5;
        score = textSlots.reduce((n, k) => n + Math.log(1 + body[k]![i]!), 0) / Math.log(2 + r[5]);
      }
      if (tier < 0) continue;
      hits.push({ group, index: i, tier, score });
    }

    if (!wantSources) {
      const idQuery = isId(q);
      const name = tf(nameField);
      const text = tf(textField);
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
          const n = techniqueNameText[i]!;
          if (n === phrase || n === stemmed) tier = 1;
          else if (inAll(allSlots, i, name)) {
            tier = 2;
            score = (n.startsWith(phrase) ? 20 : n.includes(phrase) ? 10 : 0) - n.split(' ').length;
          } else if (textSlots.length && inAll(textSlots, i, name, text)) {
            tier = 3;
            // BM25 (k1 = 1.2, b = 0.75) of the description, a word of the name worth three, plus the resources whose title matched.
            for (const k of textSlots) {
              const f = text[k]![i]! + (name[k]![i]! > 0 ? 3 : 0);
              score += (f * 2.2) / (f + 1.2 * (0.25 + (0.75 * t[5]) / averageLength));
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

  return { search, words, terms: (query: string) => termsOf(words(query).slice(0, WORD_LIMIT)) };
}
