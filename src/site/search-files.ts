/**
 * The site's search index cut into files, so a query loads only what its ranking can touch
 * (search/rank.ts): the technique list without description words; per first character, the
 * resources with a title word (or short id) starting with it; per first character, the
 * description words starting with it, with the techniques that use them; per first two characters,
 * the resources whose id is a UUID (a query that is a UUID loads only that). search-assemble.ts puts
 * the pieces a query needs back together into the index the one ranking runs over.
 */
import type { SearchIndex } from '../search/rank.js';

/** The search page's first file: techniques with everything but their description words. */
export interface SearchList {
  /** The knowledge base build: pieces of another build are not used with this list. */
  build: string;
  /** Keys of the resource files that exist (a–z, 0 for digits, _ for anything else). */
  shards: string[];
  /** Keys of the description-word files that exist. */
  words: string[];
  /** Keys of the UUID files that exist: the first two characters of the UUIDs they hold. */
  uuids: string[];
  sources: SearchIndex['sources'];
  /** As in the index, with '' for the description words (the word files hold them) but the description length kept. */
  techniques: SearchIndex['techniques'];
  stop: SearchIndex['stop'];
}

/**
 * The resources with a word starting with one character, in index order, column by column (a
 * column of similar values compresses better than rows).
 */
export interface ResourceShard {
  build: string;
  titles: string[];
  sources: number[];
  /** Upstream id; null when it is the title; '' for a UUID (nobody types one, and they weigh as much as the titles). */
  ids: (string | null)[];
  /** Indexes into the list's techniques, base 36, separated by spaces. */
  techniques: string[];
}

/** Description words starting with one character: word → the techniques using it, `d[:n] d[:n] …` (d: base-36 gap from the previous technique index, n: count when > 1). */
export interface WordFile {
  build: string;
  words: Record<string, string>;
}

export interface SearchFiles {
  list: SearchList;
  shards: Map<string, ResourceShard>;
  words: Map<string, WordFile>;
  /** Resources with a UUID id (a pasted Sigma or Atomic id), by the id's first two characters; `ids` holds the UUIDs. */
  uuids: Map<string, ResourceShard>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A query that is one UUID, as the ranking compares ids (trimmed, lower case): the UUID files answer it. */
export function isUuidQuery(query: string): boolean {
  return UUID.test(query.trim());
}

/** Words of a text as the ranking splits them, lower-case. */
export function searchWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** File key of a word: its first letter (a–z), 0 for a digit, _ for anything else. */
export function shardKey(word: string): string {
  return /^[a-z]/.test(word) ? word[0]! : /^[0-9]/.test(word) ? '0' : '_';
}

/** ` word word2:3 ` → (word, count) pairs, as rank.ts reads them. */
function eachCounted(text: string, add: (word: string, count: number) => void): void {
  for (const token of text.split(' ')) {
    if (!token) continue;
    const colon = token.indexOf(':');
    if (colon < 0) add(token, 1);
    else add(token.slice(0, colon), Number(token.slice(colon + 1)) || 1);
  }
}

export function splitSearchIndex(full: SearchIndex, build: string): SearchFiles {
  const techniqueRow = new Map(full.techniques.map((t, i) => [t[0], i]));

  const shards = new Map<string, ResourceShard>();
  const uuids = new Map<string, ResourceShard>();
  const add = (files: Map<string, ResourceShard>, key: string, title: string, source: number, id: string | null, techniques: string) => {
    let shard = files.get(key);
    if (!shard) files.set(key, (shard = { build, titles: [], sources: [], ids: [], techniques: [] }));
    shard.titles.push(title);
    shard.sources.push(source);
    shard.ids.push(id);
    shard.techniques.push(techniques);
  };
  for (const [title, source, upstreamId, ids] of full.resources) {
    const uuid = UUID.test(upstreamId);
    const id = uuid ? '' : upstreamId === title ? null : upstreamId;
    const techniques = ids.split(' ').map((t) => techniqueRow.get(t)).filter((n) => n !== undefined).map((n) => n.toString(36)).join(' ');
    for (const key of new Set(searchWords(`${title} ${id ?? ''}`).map(shardKey))) add(shards, key, title, source, id, techniques);
    if (uuid) add(uuids, upstreamId.slice(0, 2).toLowerCase(), title, source, upstreamId, techniques);
  }

  // Word → postings, techniques visited in index order so the gaps are positive.
  const postings = new Map<string, Map<string, { last: number; parts: string[] }>>();
  full.techniques.forEach((t, i) => eachCounted(t[4], (word, count) => {
    const key = shardKey(word);
    let file = postings.get(key);
    if (!file) postings.set(key, (file = new Map()));
    let p = file.get(word);
    if (!p) file.set(word, (p = { last: 0, parts: [] }));
    p.parts.push((i - p.last).toString(36) + (count > 1 ? `:${count}` : ''));
    p.last = i;
  }));
  const words = new Map<string, WordFile>();
  for (const key of [...postings.keys()].sort()) {
    const entries = [...postings.get(key)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    words.set(key, { build, words: Object.fromEntries(entries.map(([w, p]) => [w, p.parts.join(' ')])) });
  }

  const keys = [...shards.keys()].sort();
  const uuidKeys = [...uuids.keys()].sort();
  const list: SearchList = {
    build, shards: keys, words: [...words.keys()], uuids: uuidKeys, sources: full.sources,
    techniques: full.techniques.map(([id, name, domain, status, , length]) => [id, name, domain, status, '', length]), stop: full.stop,
  };
  return { list, shards: new Map(keys.map((k) => [k, shards.get(k)!])), words, uuids: new Map(uuidKeys.map((k) => [k, uuids.get(k)!])) };
}

/** A data file usable from file:// (no fetch): a script that adds one piece to a global map, since several may load into one page. */
export function pieceScript(global: 'PURPLEBOOK_SEARCH_SHARDS' | 'PURPLEBOOK_SEARCH_WORDS' | 'PURPLEBOOK_SEARCH_UUIDS', key: string, piece: ResourceShard | WordFile): string {
  return `(window.${global} = window.${global} || {})[${JSON.stringify(key)}] = ${JSON.stringify(piece)};\n`;
}
