/**
 * The static site's search index in pieces (src/site/search-files.ts, search-assemble.ts): for
 * many queries on the real data, the list plus the pieces a query loads rank exactly like
 * `purplebook search` (every hit but those the site cannot have: resource descriptions, tier 5),
 * and what any first query loads, worked out over the files the site writes, stays within the
 * page-weight budget.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { searchKb } from '../../src/search/index.js';
import { createSearch, type Search, type SearchIndex } from '../../src/search/rank.js';
import { SITE_JS } from '../../src/site/assets.js';
import { SiteModel, dataScript } from '../../src/site/model.js';
import { assembleSearchIndex, searchPieces } from '../../src/site/search-assemble.js';
import { isUuidQuery, splitSearchIndex, type SearchList } from '../../src/site/search-files.js';
import { worstFirstQueries } from '../../src/site/search-weight.js';
import { realSite } from '../helpers.js';

/** The first query may load at most this much, gzip'ed (issue 22; the bench's budget too). */
const FIRST_QUERY_BUDGET = 150_000;

const allWords = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
/** The words of a query the ranking reads. */
const words = (text: string) => allWords(text).slice(0, 12);
/** The key of a word's first n characters, as the test reads the file layout: a–z and 0–9 as written, _ for the rest. */
const keyOf = (w: string, n = 1) => w.slice(0, n).split('').map((c) => (/^[a-z0-9]$/.test(c) ? c : '_')).join('');
const terms = createSearch({ sources: [], techniques: [], resources: [], stop: [] }).terms;

/** The files a query loads, as the browser chooses them (client.ts): a UUID's file, or the pieces of its terms. */
function loadedFiles(list: SearchList, query: string): string[] {
  if (isUuidQuery(query)) return [`uuid-${query.trim().slice(0, 2).toLowerCase()}.js`].filter(() => list.uuids.includes(query.trim().slice(0, 2).toLowerCase()));
  const p = searchPieces(list, terms(query.slice(0, 200)));
  return [...(p.shard ? [`${p.shard}.js`] : []), ...p.words.map((k) => `words-${k}.js`), ...p.counts.map((k) => `counts-${k}.js`)];
}

describe('site search pieces on the real data', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  afterAll(() => kb.close());
  const model = new SiteModel(kb);
  const files = model.searchFiles();
  const rankings = new Map<string, { index: SearchIndex; search: Search }>();

  /** What the browser does (client.ts): the pieces search-assemble.ts chooses for the query's terms; for a UUID, its UUID file. */
  function siteSearch(query: string, loaded?: (shard: string) => boolean) {
    const uuid = isUuidQuery(query) ? query.trim().slice(0, 2).toLowerCase() : '';
    const p = uuid ? { shard: undefined, words: [], counts: [] } : searchPieces(files.list, terms(query.slice(0, 200)), loaded);
    const key = uuid ? `uuid-${uuid}` : `${p.shard ?? ''}|${p.words.join(' ')}|${p.counts.join(' ')}`;
    let r = rankings.get(key);
    if (!r) {
      const shard = uuid ? files.uuids.get(uuid) : p.shard === undefined ? undefined : files.shards.get(p.shard);
      const index = assembleSearchIndex(files.list, shard, p.words.map((k) => files.words.get(k)!), p.counts.map((k) => files.counts.get(k)!));
      r = { index, search: createSearch(index) };
      rankings.set(key, r);
    }
    const { index, search } = r;
    const result = search.search(query);
    return {
      counts: result.counts,
      refs: result.hits.map((h) => {
        if (h.group === 'technique') return `technique ${index.techniques[h.index]![0]}`;
        const res = index.resources[h.index]!;
        return `${h.group} ${index.sources[res[1]]![0]} ${res[0]} → ${res[3]}`;
      }),
    };
  }

  function cliSearch(query: string) {
    const a = searchKb(kb, { query, limit: 100_000 });
    const shown = a.hits.filter((h) => h.tier < 5);
    const counts = { technique: 0, rule: 0, test: 0, control: 0 };
    for (const h of shown) counts[h.kind]++;
    return { counts, refs: shown.map((h) => (h.kind === 'technique' ? `technique ${h.ref}` : `${h.kind} ${h.source} ${h.title} → ${h.techniques.join(' ')}`)) };
  }

  /**
   * Several-word queries that go down the cut files: a cut key with the title or description words
   * under it, every cut prefix of a word with the word, two deep title words, and twelve words.
   */
  function cutQueries(full: SearchIndex): string[] {
    const vocabulary = [...new Set(full.techniques.flatMap((t) => t[4].split(' ').filter(Boolean).map((w) => w.split(':')[0]!)))].sort();
    const titleWords = [...new Set(full.resources.flatMap((r) => allWords(r[0])))].sort();
    const cutShards = Object.keys(files.list.shards).filter((k) => Object.keys(files.list.shards).some((l) => l.length > k.length && l.startsWith(k)));
    const under = (list: string[], key: string, n: number) => list.filter((w) => w.length > key.length + 2 && w.startsWith(key)).filter((_, i) => i % 7 === 0).slice(0, n);
    const out: string[] = [];
    for (const k of cutShards.filter((_, i) => i % 3 === 0)) out.push(`${k} ${under(titleWords, k, 2).join(' ')}`, `${under(titleWords, k, 3).reverse().join(' ')}`);
    for (const k of files.list.counts) out.push(`${under(vocabulary, k, 1).join(' ')} ${k}`);
    files.list.counts.forEach((k, i, all) => out.push(`${k} ${all[(i + 1) % all.length]!}`));
    for (const w of vocabulary.filter((_, i) => i % 400 === 0)) out.push([...files.list.counts.filter((k) => w.startsWith(k)), w].join(' '));
    out.push(titleWords.filter((_, i) => i % 997 === 0).slice(0, 12).join(' '), vocabulary.filter((_, i) => i % 613 === 0).slice(0, 14).join(' '));
    return out.filter((q) => q.trim());
  }

  it('ranks like purplebook search for names, ids, description words, titles, prefixes and several words', () => {
    const full = model.searchData();
    // Queries drawn from the data itself, every n-th so that every kind of word is in: technique
    // names, description words (whole and as prefixes), resource titles and ids, and word pairs.
    const pick = <T>(list: readonly T[], n: number) => list.filter((_, i) => i % Math.max(1, Math.floor(list.length / n)) === 0).slice(0, n);
    const names = pick(full.techniques.map((t) => t[1]), 25);
    const description = pick([...new Set(full.techniques.flatMap((t) => t[4].split(' ').filter(Boolean).map((w) => w.split(':')[0]!)))].sort(), 30);
    const titles = pick(full.resources.map((r) => r[0]), 25);
    const ids = pick(full.resources.map((r) => r[2]).filter((id) => id && !isUuidQuery(id)), 10);
    // Pasted ids: Sigma, Atomic, Elastic UUIDs, as written, upper case, with spaces around.
    const uuids = pick(full.resources.map((r) => r[2]).filter(isUuidQuery), 20);
    expect(uuids.length).toBe(20);
    const queries = [
      'powershell', 'ssh', 'remote services', 'mimikatz', 'kerberoast', 'cloudtrail', 'lsass dump', 'T1059', 't1021.004', 's', 'c', '1', 'é',
      'pass the hash', 'scheduled task', 'dns tunneling', 'uac bypass', 'credential access via lsass', 'registry run keys startup folder',
      ...names, ...description, ...description.map((w) => w.slice(0, 3)), ...titles, ...ids, ...uuids, ` ${uuids[0]!.toUpperCase()} `,
      ...pick(titles.map((t) => words(t).slice(0, 2).join(' ')), 10),
      ...description.slice(0, 10).map((w, i) => `${w} ${names[i]}`),
      ...cutQueries(full),
      worstFirstQueries(files.list, 0, (f) => (f.startsWith('words-') || f.startsWith('counts-') ? 1 : 0)).multi.query,
    ];
    // The queries went through cut resource files and count files, and counts beside the words under them.
    const loads = queries.map((q) => loadedFiles(files.list, q));
    expect(loads.filter((l) => l.some((f) => /^[a-z0-9_]{3,}\.js$/.test(f))).length).toBeGreaterThan(20);
    expect(loads.filter((l) => l.filter((f) => f.startsWith('counts-')).length >= 2).length).toBeGreaterThan(10);
    expect(loads.some((l) => l.some((f) => f.startsWith('counts-') && l.some((g) => g.startsWith(`words-${f.slice('counts-'.length, -3)}`))))).toBe(true);
    expect(loads.some((l) => l.length >= 12)).toBe(true);
    let compared = 0;
    for (const q of queries) {
      const site = siteSearch(q);
      const cli = cliSearch(q);
      expect([q, site.counts]).toEqual([q, cli.counts]);
      expect([q, site.refs]).toEqual([q, cli.refs]);
      compared += cli.refs.length;
    }
    // With the letters' files already loaded (a reader typed the words), they serve instead: the same answers.
    let throughLetters = 0;
    for (const q of cutQueries(full)) {
      const p = searchPieces(files.list, terms(q), (k) => k.length === 1);
      if (p.shard?.length === 1 && p.shard !== searchPieces(files.list, terms(q)).shard) throughLetters++;
      expect([q, siteSearch(q, (k) => k.length === 1)]).toEqual([q, cliSearch(q)]);
    }
    expect(throughLetters).toBeGreaterThan(20);
    // The comparison covered a lot of hits, of every group.
    expect(compared).toBeGreaterThan(10_000);
    expect(queries.length).toBeGreaterThan(150);
    // Every pasted UUID finds its resource first.
    for (const id of uuids) expect(siteSearch(id).refs.length, id).toBeGreaterThan(0);
  });

  it('the list has no description words; every word and resource is in the files of its prefixes', () => {
    const full = model.searchData();
    expect(files.list.techniques.every((t) => t[4] === '')).toBe(true);
    expect(files.list.techniques.map((t) => [t[0], t[5]])).toEqual(full.techniques.map((t) => [t[0], t[5]]));
    // Each word file holds exactly the description words under its key; words equal to a cut key are only counted.
    const vocabulary = new Map<string, Map<number, number>>();
    full.techniques.forEach((t, i) => t[4].split(' ').filter(Boolean).forEach((token) => {
      const [w, n] = token.split(':');
      if (!vocabulary.has(w!)) vocabulary.set(w!, new Map());
      vocabulary.get(w!)!.set(i, Number(n ?? 1));
    }));
    const seen = new Set<string>();
    for (const [key, file] of files.words) {
      const expected = [...vocabulary.keys()].filter((w) => w.length >= key.length && keyOf(w, key.length) === key).sort();
      expect([key, Object.keys(file.words).sort()]).toEqual([key, expected]);
      for (const w of expected) seen.add(w);
    }
    for (const key of files.list.counts) seen.add(key);
    expect([...vocabulary.keys()].filter((w) => !seen.has(w))).toEqual([]);
    // A count file: per technique, the occurrences of the words starting with its key.
    for (const [key, file] of files.counts) {
      const expected = new Map<number, number>();
      for (const [w, uses] of vocabulary) if (w.startsWith(key)) for (const [i, n] of uses) expected.set(i, (expected.get(i) ?? 0) + n);
      const got = new Map<number, number>();
      let at = 0;
      for (const token of file.counts.split(' ')) {
        const [gap, n] = token.split(':');
        at += parseInt(gap!, 36);
        got.set(at, Number(n ?? 1));
      }
      expect([key, got]).toEqual([key, expected]);
    }
    // All word and count files together give back each technique's description word counts.
    const whole = assembleSearchIndex(files.list, undefined, [...files.words.values()], [...files.counts.values()]);
    const sorted = (text: string) => text.split(' ').filter(Boolean).sort().join(' ');
    expect(whole.techniques.map((t) => sorted(t[4]))).toEqual(full.techniques.map((t) => sorted(t[4])));
    // Each resource file holds exactly the resources with a title or id word under its key.
    const row = new Map(full.techniques.map((t, i) => [t[0], i.toString(36)]));
    const entries = full.resources.filter((r) => !isUuidQuery(r[2])).map((r) => ({
      entry: `${r[1]} ${r[0]} ${r[3].split(' ').map((id) => row.get(id)).join(' ')}`, words: allWords(`${r[0]} ${r[2] === r[0] ? '' : r[2]}`),
    }));
    const uuidEntries = full.resources.filter((r) => isUuidQuery(r[2])).map((r) => ({ entry: `${r[1]} ${r[0]} ${r[3].split(' ').map((id) => row.get(id)).join(' ')}`, words: allWords(r[0]) }));
    const longest = Math.max(...Object.keys(files.list.shards).map((k) => k.length));
    const under = new Map<string, string[]>();
    for (const e of [...entries, ...uuidEntries]) {
      const keys = new Set(e.words.flatMap((w) => Array.from({ length: Math.min(w.length, longest) }, (_, n) => keyOf(w, n + 1))));
      for (const k of keys) under.set(k, [...(under.get(k) ?? []), e.entry]);
    }
    for (const [key, shard] of files.shards) {
      const got = shard.titles.map((t, i) => `${shard.sources[i]} ${t} ${shard.techniques[i]}`).sort();
      expect([key, got]).toEqual([key, (under.get(key) ?? []).sort()]);
    }
  });

  it('picks the smallest resource file the terms allow, and none when a term has no file', () => {
    const sizes = files.list.shards;
    const pieces = searchPieces(files.list, ['s', 'sigma']);
    expect(pieces.shard).toBeDefined();
    expect(pieces.shard!.startsWith('si')).toBe(true);
    expect(sizes[pieces.shard!]!).toBeLessThan(sizes.s!);
    expect(searchPieces(files.list, ['sigma', 's']).shard).toBe(pieces.shard);
    // One-letter terms: the whole letter's file, the smaller of two; their description words as counts.
    const two = searchPieces(files.list, ['s', 'c']);
    expect(two.shard).toBe(sizes.s! < sizes.c! ? 's' : 'c');
    expect(two.counts).toEqual(['c', 's']);
    expect(two.words).toEqual([]);
    // A prefix no title or id word has: no resource can match the query.
    const full = model.searchData();
    const resourceWords = full.resources.flatMap((r) => allWords(`${r[0]} ${isUuidQuery(r[2]) ? '' : r[2]}`));
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const missing = [...letters].flatMap((a) => [...letters].map((b) => a + b)).find((p) => !resourceWords.some((w) => w.startsWith(p)))!;
    expect(missing).toBeDefined();
    expect(searchPieces(files.list, ['powershell', missing]).shard).toBeUndefined();
    expect(siteSearch(`powershell ${missing}`).refs.filter((r) => !r.startsWith('technique'))).toEqual([]);
    // The whole index in one file would not fit the first query's budget: the pieces are what keeps it small.
    expect(gzipSync(dataScript('PURPLEBOOK_SEARCH', full), { level: 6 }).length).toBeGreaterThan(FIRST_QUERY_BUDGET);
    // Stop words load no description words.
    expect(searchPieces(files.list, ['the']).words).toEqual([]);
    expect(searchPieces(files.list, ['the']).counts).toEqual([]);
  });

  it('the site script carries the assembler and the ranking, and compiles', () => {
    expect(() => new Script(SITE_JS)).not.toThrow();
    expect(SITE_JS).toContain('function assembleSearchIndex(list, shard, wordFiles, countFiles = [])');
    expect(SITE_JS).toContain('function searchPieces(list, terms, loaded = () => false)');
    expect(SITE_JS).toContain('function createSearch(index)');
  });
});

describe(`what a first query loads from the written site: at most ${FIRST_QUERY_BUDGET / 1000} KB gzip`, () => {
  let dir: string;
  let list: SearchList;
  const gzipped = new Map<string, number>();
  /** gzip -6 (a web server's default; -9 is a little smaller) of a file under data/. */
  const gz = (name: string) => {
    let n = gzipped.get(name);
    if (n === undefined) gzipped.set(name, (n = gzipSync(readFileSync(join(dir, 'data', name)), { level: 6 }).length));
    return n;
  };
  const loadOf = (query: string) => gz('search-techniques.js') + loadedFiles(list, query).reduce((n, f) => n + gz(`search/${f}`), 0);

  beforeAll(async () => {
    dir = (await realSite()).dir;
    const script = readFileSync(join(dir, 'data', 'search-techniques.js'), 'utf8');
    list = JSON.parse(script.slice(script.indexOf('=') + 1).trim().replace(/;$/, '')) as SearchList;
  });

  it('the worst query of one word and of several words, worked out over every file, fits the budget', () => {
    const on = new Set(readdirSync(join(dir, 'data', 'search')));
    // The list names exactly the files on disk.
    const named = [...Object.keys(list.shards).map((k) => `${k}.js`), ...list.words.map((k) => `words-${k}.js`), ...list.counts.map((k) => `counts-${k}.js`), ...list.uuids.map((k) => `uuid-${k}.js`)];
    expect(named.sort()).toEqual([...on].sort());
    const worst = worstFirstQueries(list, gz('search-techniques.js'), (f) => gz(`search/${f}`));
    expect(worst.single.bytes).toBeLessThanOrEqual(FIRST_QUERY_BUDGET);
    expect(worst.multi.bytes).toBeLessThanOrEqual(FIRST_QUERY_BUDGET);
    // The worst cases are bounds: the queries they name load no more, and the one-word one exactly that.
    expect(loadOf(worst.single.query)).toBe(worst.single.bytes);
    expect(loadOf(worst.multi.query)).toBeLessThanOrEqual(worst.multi.bytes);
    expect(words(worst.multi.query).length).toBeGreaterThanOrEqual(2);
    // Without the cut, the heaviest letter's file with the heaviest word files would not fit: the bound is not trivially met.
    const letters = Object.keys(list.shards).filter((k) => k.length === 1);
    expect(Math.max(...letters.map((k) => gz(`search/${k}.js`))) + gz('search-techniques.js')).toBeGreaterThan(FIRST_QUERY_BUDGET / 2);
  });

  it('no query tried loads more than the worst case: every key alone, pairs of the heaviest, random queries of up to 12 words', () => {
    const worst = worstFirstQueries(list, gz('search-techniques.js'), (f) => gz(`search/${f}`));
    const keys = [...new Set([...Object.keys(list.shards), ...list.words, ...list.counts])].map((k) => k.replaceAll('_', 'é'));
    for (const k of keys) expect([k, loadOf(k)]).toEqual([k, Math.min(loadOf(k), worst.single.bytes)]);
    const heavy = [...keys].sort((a, b) => loadOf(b) - loadOf(a)).slice(0, 60);
    let tried = 0;
    for (const a of heavy) {
      for (const b of heavy) {
        if (a >= b) continue;
        expect([`${a} ${b}`, loadOf(`${a} ${b}`)]).toEqual([`${a} ${b}`, Math.min(loadOf(`${a} ${b}`), worst.multi.bytes)]);
        tried++;
      }
    }
    // A fixed pseudo-random sequence (no clock): queries of 2 to 12 keys and real words.
    let seed = 22;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const pool = [...keys, ...heavy, ...heavy];
    for (let i = 0; i < 3000; i++) {
      const q = Array.from({ length: 2 + next(11) }, () => pool[next(pool.length)]!).join(' ');
      expect([q, loadOf(q)]).toEqual([q, Math.min(loadOf(q), worst.multi.bytes)]);
      tried++;
    }
    expect(tried).toBeGreaterThan(4000);
  });
});

describe('site search pieces on a small index', () => {
  const index: SearchIndex = {
    sources: [['rules', 'Rules', 'rule'], ['tests', 'Tests', 'test']],
    techniques: [
      ['T1000', 'Remote Services', 'enterprise', 'active', ' network:2 remote ', 10],
      ['T2000', 'Other', 'enterprise', 'active', ' remote:3 service zeta:12 ', 8],
      ['T3000', 'Third', 'enterprise', 'active', '', 0],
    ],
    resources: [
      ['Remote service rule', 0, 'Remote service rule', 'T2000', '', 0],
      ['Network test', 1, '0b8f3e53-c1d2-4f7a-9c1e-7e0e2f0e8a11', 'T1000 T2000 T3000', '', 0],
      ['Zeta', 1, 'Z-1', 'T3000', '', 0],
    ],
    stop: ['the'],
  };
  const files = splitSearchIndex(index, 'b1');

  it('files small pieces by first character, keeps ids (null when the title, empty for a UUID) and counts, and joins back', () => {
    expect([...files.shards.keys()]).toEqual(['1', 'n', 'r', 's', 't', 'z']);
    expect(Object.keys(files.list.shards)).toEqual(['1', 'n', 'r', 's', 't', 'z']);
    expect(files.list.counts).toEqual([]);
    expect(files.shards.get('n')).toEqual({ build: 'b1', titles: ['Network test'], sources: [1], ids: [''], techniques: ['0 1 2'] });
    expect(files.shards.get('r')!.ids).toEqual([null]);
    expect([...files.uuids]).toEqual([['0b', { build: 'b1', titles: ['Network test'], sources: [1], ids: ['0b8f3e53-c1d2-4f7a-9c1e-7e0e2f0e8a11'], techniques: ['0 1 2'] }]]);
    expect(files.list.uuids).toEqual(['0b']);
    expect(files.shards.get('z')).toEqual({ build: 'b1', titles: ['Zeta'], sources: [1], ids: ['Z-1'], techniques: ['2'] });
    expect(files.words.get('r')).toEqual({ build: 'b1', words: { remote: '0 1:3' } });
    expect(files.words.get('z')).toEqual({ build: 'b1', words: { zeta: '1:12' } });
    const back = assembleSearchIndex(files.list, files.shards.get('r'), [files.words.get('r')!]);
    expect(back.techniques.map((t) => t[4])).toEqual([' remote ', ' remote:3 ', '']);
    expect(back.resources).toEqual([['Remote service rule', 0, 'Remote service rule', 'T2000', '', 0]]);
    expect(createSearch(back).search('remote service rule').hits[0]).toMatchObject({ group: 'rule', tier: 4, score: 1000 });
  });

  it('a count file stands for the words a term that is exactly a cut key needs, beside loaded words under it', () => {
    // Words starting with "s": technique 0 has service ×2 and sigma ×3, technique 1 service and sql.
    const whole: SearchIndex = { ...index, techniques: [
      ['T1000', 'Remote Services', 'enterprise', 'active', ' network service:2 sigma:3 ', 10],
      ['T2000', 'Other', 'enterprise', 'active', ' service sql ', 8],
      ['T3000', 'Third', 'enterprise', 'active', ' network ', 3],
    ], resources: [] };
    const list = { ...splitSearchIndex(whole, 'b1').list, shards: {}, words: ['n', 'se'], counts: ['s'] };
    const counts = { build: 'b1', prefix: 's', counts: '0:5 1:2' };
    const se = { build: 'b1', words: { service: '0:2 1' } };
    expect(assembleSearchIndex(list, undefined, [], [counts]).techniques.map((t) => t[4])).toEqual([' s:5 ', ' s:2 ', '']);
    const both = assembleSearchIndex(list, undefined, [se], [counts]);
    expect(both.techniques.map((t) => t[4])).toEqual([' service:2 s:3 ', ' service s ', '']);
    // The ranking's sums, so its order and scores, are those of the whole descriptions.
    for (const q of ['s', 'se', 's se', 'service s', 'remote s']) expect([q, createSearch(both).search(q)]).toEqual([q, createSearch(whole).search(q)]);
    expect(searchPieces(list, ['s', 'service'])).toEqual({ shard: undefined, words: ['se'], counts: ['s'] });
    expect(searchPieces(list, ['se'])).toEqual({ shard: undefined, words: ['se'], counts: [] });
    expect(searchPieces(list, ['sx'])).toEqual({ shard: undefined, words: [], counts: [] });
  });
});
