/**
 * The most any first query can load, computed over the structure of the search files rather than
 * from sample queries: the technique list, the resource file the query's terms choose (the
 * smallest their files allow, search-assemble.ts) and one word or count file per term.
 *
 * Every term behaves like one of the tree keys: a term that stops on a key, or runs past the
 * leaves of both trees on its path, loads what that key loads; a term that leaves a tree where it
 * has no key loads nothing from it (no resource, no description word starts with it), which the
 * key before dominates. So the keys of both trees are the candidates, and a query of up to
 * `maxTerms` terms costs at most: the resource file of one candidate, plus the largest distinct
 * word files of candidates whose resource file is no smaller (else the browser would take theirs).
 * A query whose other words lead to the same files as its first costs what that one word does.
 * Stop words (no word file) and stemming only lower a real query's cost: the figures are bounds,
 * the queries shown load at most that much.
 */
import { searchPieces } from './search-assemble.js';
import type { SearchList } from './search-files.js';

export interface QueryWeight {
  /** Bytes of the list plus the query's files (as `sizeOf` weighs them). */
  bytes: number;
  /** A query that loads that much. */
  query: string;
  /** The files it loads under data/search/. */
  files: string[];
}

export interface WorstQueries {
  /** The heaviest one-word query (a UUID query included). */
  single: QueryWeight;
  /** The heaviest query of two words or more (up to the ranking's 12). */
  multi: QueryWeight;
}

/** The ranking reads at most this many words of a query (rank.ts). */
const MAX_TERMS = 12;

interface Candidate { term: string; shard?: string; shardBytes: number; file?: string }

/**
 * The worst first queries. `listBytes`: the technique list's weight; `sizeOf(name)`: the weight
 * of data/search/<name> (gzip'ed, say). Terms are the keys themselves (`_` stands for any other
 * character than a–z and 0–9, e.g. é).
 */
export function worstFirstQueries(list: SearchList, listBytes: number, sizeOf: (file: string) => number): WorstQueries {
  const keys = new Set<string>([...Object.keys(list.shards), ...list.words, ...list.counts]);
  const candidate = (term: string): Candidate => {
    const p = searchPieces({ ...list, stop: [] }, [term]);
    const file = p.words.length ? `words-${p.words[0]}.js` : p.counts.length ? `counts-${p.counts[0]}.js` : undefined;
    return { term, shard: p.shard, shardBytes: p.shard ? list.shards[p.shard]! : 0, file };
  };
  const candidates = [...keys].sort().map((key) => candidate(key.replaceAll('_', 'é')));
  const weigh = (c: Candidate) => (c.shard ? sizeOf(`${c.shard}.js`) : 0);
  const fileSize = (c: Candidate) => (c.file ? sizeOf(c.file) : 0);

  let single: QueryWeight = { bytes: listBytes, query: '', files: [] };
  for (const c of candidates) {
    const bytes = listBytes + weigh(c) + fileSize(c);
    if (bytes > single.bytes) single = { bytes, query: c.term, files: [c.shard && `${c.shard}.js`, c.file].filter((f): f is string => !!f) };
  }
  for (const key of list.uuids) {
    const bytes = listBytes + sizeOf(`uuid-${key}.js`);
    if (bytes > single.bytes) single = { bytes, query: `${key}000000-0000-0000-0000-000000000000`, files: [`uuid-${key}.js`] };
  }

  // For each candidate as the chosen resource file: the heaviest word files of the others that allow it.
  const byFileSize = [...candidates].sort((a, b) => fileSize(b) - fileSize(a));
  const heaviest = (first: Candidate | undefined, allows: (c: Candidate) => boolean) => {
    const chosen = first ? [first] : [];
    const files = new Set(first?.file ? [first.file] : []);
    for (const c of byFileSize) {
      if (chosen.length >= MAX_TERMS) break;
      if (c === first || !allows(c) || (c.file && files.has(c.file))) continue;
      chosen.push(c);
      if (c.file) files.add(c.file);
    }
    return { chosen, files: [...files], bytes: listBytes + (first ? weigh(first) : 0) + [...files].reduce((n, f) => n + sizeOf(f), 0) };
  };
  // A term no resource file leads to (a prefix no title has) loads none: any 12 word files then.
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const noResource = [...chars].flatMap((a) => [...chars].map((b) => a + b)).find((t) => !searchPieces({ ...list, stop: [] }, [t]).shard) ?? '';
  const free = heaviest(undefined, () => true);
  let multi: QueryWeight = { bytes: free.bytes, query: [noResource, ...free.chosen.slice(0, MAX_TERMS - 1).map((c) => c.term)].join(' '), files: free.files };
  for (const first of candidates) {
    if (!first.shard) continue;
    const h = heaviest(first, (c) => !!c.shard && c.shardBytes >= first.shardBytes);
    if (h.chosen.length >= 2 && h.bytes > multi.bytes) multi = { bytes: h.bytes, query: h.chosen.map((c) => c.term).join(' '), files: [`${first.shard}.js`, ...h.files] };
  }
  return { single, multi };
}
