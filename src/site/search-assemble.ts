/**
 * The browser's side of search-files.ts: the pieces a query needs, put back together into the
 * index of the one ranking (search/rank.ts).
 *
 * Why the pieces suffice for the same order as the whole index:
 * - a resource matches only if its title (or id) holds every query word, so the resource file of
 *   any one query word's first character holds every resource that can match; it also holds every
 *   resource whose title match weighs a technique of tier 3;
 * - a description counts for a query word only through words starting with that word, so the word
 *   files of the query words' first characters give the same counts; each technique keeps its
 *   description length, so BM25 and the average length are those of the whole index.
 *
 * `assembleSearchIndex` is serialized with Function.prototype.toString into the site's script, so
 * it must stay self-contained: no imports (but of types), nothing referenced outside its body.
 */
import type { SearchIndex } from '../search/rank.js';
import type { ResourceShard, SearchList, WordFile } from './search-files.js';

export function assembleSearchIndex(list: SearchList, shard: ResourceShard | undefined, wordFiles: readonly WordFile[]): SearchIndex {
  const text: string[][] = list.techniques.map(() => []);
  for (const file of wordFiles) {
    for (const word of Object.keys(file.words)) {
      let at = 0;
      for (const token of file.words[word]!.split(' ')) {
        const colon = token.indexOf(':');
        at += parseInt(colon < 0 ? token : token.slice(0, colon), 36);
        const row = text[at];
        if (row) row.push(colon < 0 ? word : `${word}${token.slice(colon)}`);
      }
    }
  }
  const techniques = list.techniques.map((t, i): SearchIndex['techniques'][number] => [
    t[0], t[1], t[2], t[3], text[i]!.length ? ` ${text[i]!.join(' ')} ` : '', t[5],
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
