/**
 * The static site's search index in pieces (src/site/search-files.ts, search-assemble.ts): for
 * many queries on the real data, the list plus the pieces a query loads rank exactly like
 * `purplebook search` (every hit but those the site cannot have: resource descriptions, tier 5),
 * and what the first query loads stays within the page-weight budget.
 */
import { gzipSync } from 'node:zlib';
import { Script } from 'node:vm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { searchKb } from '../../src/search/index.js';
import { createSearch, type Search, type SearchIndex } from '../../src/search/rank.js';
import { SITE_JS } from '../../src/site/assets.js';
import { SiteModel, dataScript } from '../../src/site/model.js';
import { assembleSearchIndex } from '../../src/site/search-assemble.js';
import { isUuidQuery, pieceScript, splitSearchIndex, type ResourceShard, type WordFile } from '../../src/site/search-files.js';

/** The first query may load at most this much, gzip'ed (issue 22; the bench's budget too). */
const FIRST_QUERY_BUDGET = 150_000;

const words = (text: string) => (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 12);
const keyOf = (w: string) => (/^[a-z]/.test(w) ? w[0]! : /^[0-9]/.test(w) ? '0' : '_');

describe('site search pieces on the real data', () => {
  const kb = KnowledgeBase.open(inject('kbPath'));
  afterAll(() => kb.close());
  const model = new SiteModel(kb);
  const files = model.searchFiles();
  const rankings = new Map<string, { index: SearchIndex; search: Search }>();

  /** What the browser does (client.ts): the first word's resources, every word's description words; for a UUID, its UUID file. */
  function siteSearch(query: string) {
    const uuid = isUuidQuery(query) ? query.trim().slice(0, 2).toLowerCase() : '';
    const keys = uuid ? [] : words(query).map(keyOf);
    const shardKey = keys[0] ?? '';
    const wordKeys = [...new Set(keys)].sort().filter((k) => files.words.has(k));
    const key = uuid ? `uuid-${uuid}` : `${shardKey}|${wordKeys.join('')}`;
    let r = rankings.get(key);
    if (!r) {
      const index = assembleSearchIndex(files.list, uuid ? files.uuids.get(uuid) : files.shards.get(shardKey), wordKeys.map((k) => files.words.get(k)!));
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
    ];
    let compared = 0;
    for (const q of queries) {
      const site = siteSearch(q);
      const cli = cliSearch(q);
      expect([q, site.counts]).toEqual([q, cli.counts]);
      expect([q, site.refs]).toEqual([q, cli.refs]);
      compared += cli.refs.length;
    }
    // The comparison covered a lot of hits, of every group.
    expect(compared).toBeGreaterThan(10_000);
    expect(queries.length).toBeGreaterThan(150);
    // Every pasted UUID finds its resource first.
    for (const id of uuids) expect(siteSearch(id).refs.length, id).toBeGreaterThan(0);
  });

  it('the list has no description words; every word and resource is in the piece of its first character', () => {
    const full = model.searchData();
    expect(files.list.techniques.every((t) => t[4] === '')).toBe(true);
    expect(files.list.techniques.map((t) => [t[0], t[5]])).toEqual(full.techniques.map((t) => [t[0], t[5]]));
    // All word files together give back each technique's description words.
    const whole = assembleSearchIndex(files.list, undefined, [...files.words.values()]);
    const sorted = (text: string) => text.split(' ').filter(Boolean).sort().join(' ');
    expect(whole.techniques.map((t) => sorted(t[4]))).toEqual(full.techniques.map((t) => sorted(t[4])));
    for (const [key, file] of files.words) expect(Object.keys(file.words).every((w) => keyOf(w) === key)).toBe(true);
    // Every resource is in the shard of each of its title words' first character.
    const inShard = new Map([...files.shards].map(([k, s]) => [k, new Set(s.titles.map((t, i) => `${s.sources[i]} ${t} ${s.techniques[i]}`))]));
    const row = new Map(full.techniques.map((t, i) => [t[0], i.toString(36)]));
    for (const r of full.resources) {
      const entry = `${r[1]} ${r[0]} ${r[3].split(' ').map((id) => row.get(id)).join(' ')}`;
      for (const w of words(r[0])) expect(inShard.get(keyOf(w))?.has(entry), `${r[0]} in ${keyOf(w)}`).toBe(true);
    }
  });

  it(`the first query loads at most ${FIRST_QUERY_BUDGET / 1000} KB gzip: the list, one resource file, one word file`, () => {
    const gz = (text: string) => gzipSync(text, { level: 6 }).length;
    const list = gz(dataScript('PURPLEBOOK_SEARCH_TECHNIQUES', files.list));
    const keys = new Set([...files.shards.keys(), ...files.words.keys()]);
    const piece = (global: 'PURPLEBOOK_SEARCH_SHARDS' | 'PURPLEBOOK_SEARCH_WORDS', key: string, p?: ResourceShard | WordFile) => (p ? gz(pieceScript(global, key, p)) : 0);
    const worst = Math.max(...[...keys].map((k) => piece('PURPLEBOOK_SEARCH_SHARDS', k, files.shards.get(k)) + piece('PURPLEBOOK_SEARCH_WORDS', k, files.words.get(k))));
    expect(list + worst).toBeLessThanOrEqual(FIRST_QUERY_BUDGET);
    // The whole index would not fit: the pieces are what keeps it small.
    expect(gz(dataScript('PURPLEBOOK_SEARCH', model.searchData()))).toBeGreaterThan(FIRST_QUERY_BUDGET);
  });

  it('the site script carries the assembler and the ranking, and compiles', () => {
    expect(() => new Script(SITE_JS)).not.toThrow();
    expect(SITE_JS).toContain('function assembleSearchIndex(list, shard, wordFiles)');
    expect(SITE_JS).toContain('function createSearch(index)');
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

  it('cuts by first character, keeps ids (null when the title, empty for a UUID) and counts, and joins back', () => {
    expect([...files.shards.keys()]).toEqual(['0', 'n', 'r', 's', 't', 'z']);
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
});
