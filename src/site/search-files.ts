/**
 * The site's search index cut into files, so a query loads only what its ranking can touch
 * (search/rank.ts). Query terms match the start of words, so the files are keyed by word
 * prefixes, in two prefix trees:
 * - resource files: the resources with a title word (or short id) starting with the key. A file
 *   over RESOURCE_SPLIT bytes is also cut into files one character longer (a resource is in each
 *   file one of its words leads to); the long file stays for a term that is exactly its key;
 * - description-word files: the description words starting with the key, with the techniques
 *   using them. A file over WORD_SPLIT bytes is cut into files one character longer, and replaced
 *   by a count file: per technique, how many description words start with the key (what a term
 *   that is exactly the key needs, without the words).
 * Key characters are a–z and 0–9 as written and `_` for any other character (such keys are never
 * cut). Besides: per first two characters, the resources whose id is a UUID (a query that is a
 * UUID loads only that). search-assemble.ts chooses the files a query needs and puts them back
 * together into the index the one ranking runs over.
 */
import type { SearchIndex } from '../search/rank.js';

/** A resource file above about this many bytes is cut by one more character: most queries then load a file of 15 KB gzip or less. */
const RESOURCE_SPLIT = 60_000;
/** A description-word file above about this many bytes is cut by one more character. */
const WORD_SPLIT = 6_000;
/** Keys stop at this length: longer prefixes no longer tell words apart (the server's file-name pattern allows as many). */
const KEY_MAX = 8;
/** A resource file is cut only if its largest part keeps less than this share of it (else every part would repeat it). */
const USEFUL_CUT = 0.9;

/** The search page's first file: techniques with everything but their description words, and which files exist. */
export interface SearchList {
  /** The knowledge base build: pieces of another build are not used with this list. */
  build: string;
  /**
   * Resource files: key → about the kilobytes of the file (a query loads the smallest its terms
   * allow). A key that starts longer keys is cut: terms longer than it use the longer files.
   */
  shards: Record<string, number>;
  /** Keys of the description-word files (the leaves of the word tree). */
  words: string[];
  /** Keys of the count files: the word tree's cut keys. */
  counts: string[];
  /** Keys of the UUID files that exist: the first two characters of the UUIDs they hold. */
  uuids: string[];
  sources: SearchIndex['sources'];
  /** As in the index, with '' for the description words (the word files hold them) but the description length kept. */
  techniques: SearchIndex['techniques'];
  stop: SearchIndex['stop'];
}

/**
 * The resources with a word starting with one prefix, in index order, column by column (a
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

/** Description words starting with one prefix: word → the techniques using it, `d[:n] d[:n] …` (d: base-36 gap from the previous technique index, n: count when > 1). */
export interface WordFile {
  build: string;
  words: Record<string, string>;
}

/** Per technique, how many description words start with `prefix`, coded as a word file's postings. */
export interface CountFile {
  build: string;
  prefix: string;
  counts: string;
}

export interface SearchFiles {
  list: SearchList;
  shards: Map<string, ResourceShard>;
  words: Map<string, WordFile>;
  counts: Map<string, CountFile>;
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

/** A key character: a–z and 0–9 as written, `_` for anything else (as search-assemble.ts reads terms). */
const keyChar = (c: string) => ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_');

/** The key of a word's first `length` characters. */
export function prefixKey(word: string, length: number): string {
  let key = '';
  for (let i = 0; i < length && i < word.length; i++) key += keyChar(word[i]!);
  return key;
}

/** Keys with `_` stand for many prefixes: a count under them would not be the count of any one term. */
const cuttable = (key: string) => key.length < KEY_MAX && !key.includes('_');

/** ` word word2:3 ` → (word, count) pairs, as rank.ts reads them. */
function eachCounted(text: string, add: (word: string, count: number) => void): void {
  for (const token of text.split(' ')) {
    if (!token) continue;
    const colon = token.indexOf(':');
    if (colon < 0) add(token, 1);
    else add(token.slice(0, colon), Number(token.slice(colon + 1)) || 1);
  }
}

/** (technique index, count) pairs in index order → `d[:n] d[:n] …`. */
function postings(pairs: readonly (readonly [number, number])[]): string {
  let last = 0;
  return pairs.map(([at, n]) => {
    const gap = (at - last).toString(36);
    last = at;
    return n > 1 ? `${gap}:${n}` : gap;
  }).join(' ');
}

interface Row { title: string; source: number; id: string | null; techniques: string; words: string[]; bytes: number }

/** About the bytes a row adds to a resource file (its four values, quotes and commas), without writing it. */
const rowBytes = (title: string, id: string | null, techniques: string) => title.length + (id === null ? 4 : id.length + 2) + techniques.length + 12;
/** About the bytes of a resource file. */
const shardBytes = (rows: readonly Row[]) => rows.reduce((n, r) => n + r.bytes, 60);

function shardOf(build: string, rows: readonly Row[]): ResourceShard {
  return { build, titles: rows.map((r) => r.title), sources: rows.map((r) => r.source), ids: rows.map((r) => r.id), techniques: rows.map((r) => r.techniques) };
}

/** The resource files under `key`: its own, and the longer ones if it is cut. */
function cutResources(build: string, key: string, rows: readonly Row[], out: Map<string, ResourceShard>, sizes: Map<string, number>): void {
  out.set(key, shardOf(build, rows));
  sizes.set(key, shardBytes(rows));
  if (!cuttable(key) || sizes.get(key)! <= RESOURCE_SPLIT) return;
  // By the character after the key (a cut key has no `_`: its words are those that start with it).
  const parts = new Map<string, Row[]>();
  for (const row of rows) {
    for (const w of row.words) {
      if (w.length <= key.length || !w.startsWith(key)) continue;
      const next = keyChar(w[key.length]!);
      let part = parts.get(next);
      if (!part) parts.set(next, (part = []));
      if (part[part.length - 1] !== row) part.push(row);
    }
  }
  if (!parts.size || Math.max(...[...parts.values()].map((p) => p.length)) >= USEFUL_CUT * rows.length) return;
  for (const [next, part] of parts) cutResources(build, key + next, part, out, sizes);
}

type Postings = [number, number][];

/** The description-word files under `key`, or its count file and the longer keys' files when it is cut. */
function cutWords(build: string, key: string, words: ReadonlyMap<string, Postings>, files: Map<string, WordFile>, counts: Map<string, CountFile>): void {
  const sorted = [...words.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const longer = sorted.filter((w) => w.length > key.length);
  // About 3 bytes per posting, and the word in quotes.
  const size = sorted.reduce((n, w) => n + w.length + 4 + 3 * words.get(w)!.length, 0);
  if (!cuttable(key) || !longer.length || size <= WORD_SPLIT) {
    files.set(key, { build, words: Object.fromEntries(sorted.map((w) => [w, postings(words.get(w)!)])) });
    return;
  }
  const total = new Map<number, number>();
  for (const list of words.values()) for (const [at, n] of list) total.set(at, (total.get(at) ?? 0) + n);
  counts.set(key, { build, prefix: key, counts: postings([...total].sort((a, b) => a[0] - b[0])) });
  const parts = new Map<string, Map<string, Postings>>();
  for (const w of longer) {
    const k = key + keyChar(w[key.length]!);
    let part = parts.get(k);
    if (!part) parts.set(k, (part = new Map<string, Postings>()));
    part.set(w, words.get(w)!);
  }
  for (const [k, part] of parts) cutWords(build, k, part, files, counts);
}

const byKey = <T>(map: Map<string, T>) => new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export function splitSearchIndex(full: SearchIndex, build: string): SearchFiles {
  const techniqueRow = new Map(full.techniques.map((t, i) => [t[0], i]));

  const byFirst = new Map<string, Row[]>();
  const uuids = new Map<string, ResourceShard>();
  for (const [title, source, upstreamId, ids] of full.resources) {
    const uuid = UUID.test(upstreamId);
    const id = uuid ? '' : upstreamId === title ? null : upstreamId;
    const techniques = ids.split(' ').map((t) => techniqueRow.get(t)).filter((n) => n !== undefined).map((n) => n.toString(36)).join(' ');
    const row: Row = { title, source, id, techniques, words: [...new Set(searchWords(`${title} ${id ?? ''}`))], bytes: rowBytes(title, id, techniques) };
    for (const key of new Set(row.words.map((w) => prefixKey(w, 1)))) {
      let rows = byFirst.get(key);
      if (!rows) byFirst.set(key, (rows = []));
      rows.push(row);
    }
    if (uuid) {
      const key = upstreamId.slice(0, 2).toLowerCase();
      let file = uuids.get(key);
      if (!file) uuids.set(key, (file = shardOf(build, [])));
      file.titles.push(title);
      file.sources.push(source);
      file.ids.push(upstreamId);
      file.techniques.push(techniques);
    }
  }
  const shards = new Map<string, ResourceShard>();
  const sizes = new Map<string, number>();
  for (const [key, rows] of byFirst) cutResources(build, key, rows, shards, sizes);

  // Word → (technique, count), techniques visited in index order so the gaps are positive.
  const byFirstWord = new Map<string, Map<string, Postings>>();
  full.techniques.forEach((t, i) => eachCounted(t[4], (word, count) => {
    const key = prefixKey(word, 1);
    let file = byFirstWord.get(key);
    if (!file) byFirstWord.set(key, (file = new Map<string, Postings>()));
    let p = file.get(word);
    if (!p) file.set(word, (p = []));
    p.push([i, count]);
  }));
  const words = new Map<string, WordFile>();
  const counts = new Map<string, CountFile>();
  for (const [key, file] of byFirstWord) cutWords(build, key, file, words, counts);

  const sortedShards = byKey(shards);
  const list: SearchList = {
    build,
    shards: Object.fromEntries([...sortedShards.keys()].map((k) => [k, Math.ceil(sizes.get(k)! / 1000)])),
    words: [...byKey(words).keys()], counts: [...byKey(counts).keys()], uuids: [...byKey(uuids).keys()], sources: full.sources,
    techniques: full.techniques.map(([id, name, domain, status, , length]) => [id, name, domain, status, '', length]), stop: full.stop,
  };
  return { list, shards: sortedShards, words: byKey(words), counts: byKey(counts), uuids: byKey(uuids) };
}

type PieceGlobal = 'PURPLEBOOK_SEARCH_SHARDS' | 'PURPLEBOOK_SEARCH_WORDS' | 'PURPLEBOOK_SEARCH_COUNTS' | 'PURPLEBOOK_SEARCH_UUIDS';

/** A data file usable from file:// (no fetch): a script that adds one piece to a global map, since several may load into one page. */
export function pieceScript(global: PieceGlobal, key: string, piece: ResourceShard | WordFile | CountFile): string {
  return `(window.${global} = window.${global} || {})[${JSON.stringify(key)}] = ${JSON.stringify(piece)};\n`;
}

/** File names under data/search/ (as search-assemble.ts names them): resources `<key>.js`, then `words-`, `counts-` and `uuid-<key>.js`. */
const KINDS = [['', 'PURPLEBOOK_SEARCH_SHARDS', 'shards'], ['words-', 'PURPLEBOOK_SEARCH_WORDS', 'words'], ['counts-', 'PURPLEBOOK_SEARCH_COUNTS', 'counts'],
  ['uuid-', 'PURPLEBOOK_SEARCH_UUIDS', 'uuids']] as const;

/** Every piece's file name under data/search/ and its script. */
export function* searchPieceFiles(files: SearchFiles): Generator<[string, string]> {
  for (const [prefix, global, field] of KINDS) {
    for (const [key, piece] of files[field] as Map<string, ResourceShard | WordFile | CountFile>) yield [`${prefix}${key}.js`, pieceScript(global, key, piece)];
  }
}

/** The script (made when called) of the piece a file name under data/search/ names, if it exists. */
export function searchPieceScript(files: SearchFiles, name: string): (() => string) | undefined {
  const base = name.endsWith('.js') ? name.slice(0, -3) : '';
  for (const [prefix, global, field] of [...KINDS].reverse()) {
    if (!base.startsWith(prefix)) continue;
    const key = base.slice(prefix.length);
    const piece = (files[field] as Map<string, ResourceShard | WordFile | CountFile>).get(key);
    return piece ? () => pieceScript(global, key, piece) : undefined;
  }
  return undefined;
}
