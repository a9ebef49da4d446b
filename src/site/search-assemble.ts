/**
 * The browser's side of search-files.ts: which pieces a query needs, and those pieces put back
 * together into the index of the one ranking (search/rank.ts).
 *
 * Why the pieces suffice for the same order as the whole index:
 * - a resource matches only if its title (or id) has, for every query term, a word starting with
 *   it, so the resource file of any one term holds every resource that can match: the smallest
 *   is taken. It also holds every resource whose title match weighs a technique of tier 3. A term
 *   no resource file leads to means no resource matches;
 * - a description counts for a term only through the words starting with it: the word file the
 *   term leads to holds them all; a term that is exactly a cut key has its count file instead,
 *   which becomes one stand-in word per technique (the key, with the count not already carried by
 *   loaded words starting with it), so the sums the ranking makes are those of the whole index.
 *   Each technique keeps its description length, so BM25 and the average length are unchanged.
 *
 * `searchPieces` and `assembleSearchIndex` are serialized with Function.prototype.toString into
 * the site's script, so they must stay self-contained: no imports (but of types), nothing
 * referenced outside their bodies.
 */
import type { SearchIndex } from '../search/rank.js';
import type { CountFile, ResourceShard, SearchList, WordFile } from './search-files.js';

export interface SearchPieces {
  /** Key of the resource file to load; undefined when no resource can match. */
  shard?: string;
  /** Keys of the description-word files. */
  words: string[];
  /** Keys of the count files. */
  counts: string[];
}

/**
 * The pieces a query's terms (rank.ts `terms`) need; the list says which files exist. A resource
 * file already `loaded` on a term's way down the tree holds all the term's resources too, so it
 * is used rather than loading another (typing "ssh" loads s, then nothing more).
 */
export function searchPieces(list: SearchList, terms: readonly string[], loaded: (shard: string) => boolean = () => false): SearchPieces {
  const keyChar = (c: string) => ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_');
  /** Follows a term down a prefix tree: the file key it ends at, whether that is a cut key (the term is exactly it), and the keys on the way. */
  const walk = (term: string, exists: (key: string) => boolean, cut: (key: string) => boolean): { key: string; cut: boolean; path: string[] } | undefined => {
    let key = '';
    const path: string[] = [];
    for (let i = 0; i < term.length; i++) {
      key += keyChar(term[i]!);
      if (!exists(key)) return undefined;
      path.push(key);
      if (!cut(key)) return { key, cut: false, path };
    }
    return key ? { key, cut: true, path } : undefined;
  };
  const sizes = list.shards;
  const has = (key: string) => Object.prototype.hasOwnProperty.call(sizes, key);
  // A resource key is cut when a longer key starts with it: keys are sorted, so the next one tells.
  const keys = Object.keys(sizes).sort();
  const cutShards = new Set<string>();
  for (let i = 0; i + 1 < keys.length; i++) if (keys[i + 1]!.startsWith(keys[i]!)) cutShards.add(keys[i]!);
  const leaves = new Set(list.words);
  const cutWords = new Set(list.counts);
  const stop = new Set(list.stop);

  const smaller = (a: string | undefined, b: string) => (a === undefined || sizes[b]! < sizes[a]! ? b : a);
  let shard: string | undefined;
  let inHand: string | undefined;
  let none = false;
  const words = new Set<string>();
  const counts = new Set<string>();
  for (const term of terms) {
    const r = walk(term, has, (k) => cutShards.has(k));
    if (!r) none = true;
    else {
      shard = smaller(shard, r.key);
      for (const k of r.path) if (loaded(k)) inHand = smaller(inHand, k);
    }
    if (stop.has(term)) continue;
    const w = walk(term, (k) => leaves.has(k) || cutWords.has(k), (k) => cutWords.has(k));
    if (w) (w.cut ? counts : words).add(w.key);
  }
  return { shard: none ? undefined : inHand ?? shard, words: [...words].sort(), counts: [...counts].sort() };
}

export function assembleSearchIndex(list: SearchList, shard: ResourceShard | undefined, wordFiles: readonly WordFile[], countFiles: readonly CountFile[] = []): SearchIndex {
  const text: [string, number][][] = list.techniques.map(() => []);
  /** Calls `add(technique, count)` for each entry of `d[:n] d[:n] …`. */
  const eachPosting = (postings: string, add: (at: number, count: number) => void) => {
    let at = 0;
    for (const token of postings.split(' ')) {
      if (!token) continue;
      const colon = token.indexOf(':');
      at += parseInt(colon < 0 ? token : token.slice(0, colon), 36);
      add(at, colon < 0 ? 1 : Number(token.slice(colon + 1)) || 1);
    }
  };
  for (const file of wordFiles) {
    for (const word of Object.keys(file.words)) eachPosting(file.words[word]!, (at, n) => text[at]?.push([word, n]));
  }
  // Longer prefixes first: a shorter one's stand-in leaves out what theirs already carry.
  for (const file of [...countFiles].sort((a, b) => b.prefix.length - a.prefix.length)) {
    eachPosting(file.counts, (at, n) => {
      const row = text[at];
      if (!row) return;
      let carried = 0;
      for (const [word, count] of row) if (word.startsWith(file.prefix)) carried += count;
      if (n > carried) row.push([file.prefix, n - carried]);
    });
  }
  const techniques = list.techniques.map((t, i): SearchIndex['techniques'][number] => [
    t[0], t[1], t[2], t[3], text[i]!.length ? ` ${text[i]!.map(([w, n]) => (n > 1 ? `${w}:${n}` : w)).join(' ')} ` : '', t[5],
  ]);
  const resources: SearchIndex['resources'] = [];
  if (shard) {
    for (let i = 0; i < shard.titles.length; i++) {
      const title = shard.titles[i]!;
      const id = shard.ids[i];
      const ids = shard.techniques[i]!.split(' ').filter(Boolean).map((n) => list.techniques[parseInt(n, 36)]?.[0] ?? '').filter(Boolean);
      resources.push([title, shard.sources[i]!, id === null ? title : id ?? '', ids.join(' '), '', 0]);
    }
  }
  return { sources: list.sources, techniques, resources, stop: list.stop };
}
