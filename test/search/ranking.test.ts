/**
 * One search ranking for the CLI, the API and the site: pinned top results on the real data,
 * the same order from the three, grouped counts, filters by kind and source, and paging.
 */
import type { FastifyInstance } from 'fastify';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildSearchIndex, searchKb, type SearchAnswer } from '../../src/search/index.js';
import { createSearch, type SearchIndex } from '../../src/search/rank.js';
import { createServer } from '../../src/server/app.js';
import { SITE_JS } from '../../src/site/assets.js';
import { cli } from '../helpers.js';

/** What an analyst types, and the technique that must come first. */
const TOP: [string, string][] = [
  ['powershell', 'T1059.001'],
  ['ssh', 'T1021.004'],
  ['remote services', 'T1021'],
  ['Remote Services', 'T1021'],
  ['mimikatz', 'T1003.001'],
  ['kerberoasting', 'T1558.003'],
  ['kerberoast', 'T1558.003'],
  ['cloudtrail', 'T1685.002'],
  ['lsass', 'T1003.001'],
  ['credential dumping', 'T1003'],
  ['pass the hash', 'T1550.002'],
  ['scheduled task', 'T1053.005'],
  ['process injection', 'T1055'],
  ['rundll32', 'T1218.011'],
  ['dns tunneling', 'T1071.004'],
  ['uac bypass', 'T1548.002'],
  ['t1021.004', 'T1021.004'],
  ['T1059', 'T1059'],
];

describe('search ranking on the real data', () => {
  const kbPath = inject('kbPath');
  const kb = KnowledgeBase.open(kbPath);
  let app: FastifyInstance;
  beforeAll(async () => {
    app = createServer({ dbPath: kbPath, checkIntervalMs: 0 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    kb.close();
  });
  const api = async (query: string) => {
    const r = await app.inject({ method: 'GET', url: `/api/search?${query}` });
    return { status: r.statusCode, body: r.json<SearchAnswer & { message?: string; suggestions?: string[] }>() };
  };

  it('puts the expected technique first for a dozen queries', () => {
    for (const [q, id] of TOP) expect([q, searchKb(kb, { query: q, limit: 1 }).hits[0]?.ref]).toEqual([q, id]);
  });

  it('ranks exact id, then names, then descriptions, then resources', () => {
    const a = searchKb(kb, { query: 'powershell', limit: 200 });
    const tiers = a.hits.map((h) => h.tier);
    expect(tiers).toEqual([...tiers].sort((x, y) => x - y));
    const techniques = a.hits.filter((h) => h.kind === 'technique');
    // Every technique named PowerShell comes before the first one that only mentions it.
    const named = kb.techniques().filter((t) => t.status === 'active' && /powershell/i.test(t.name)).map((t) => t.id).sort();
    expect(techniques.slice(0, named.length).map((h) => h.ref).sort()).toEqual(named);
    // Techniques come before resources, and a revoked technique (T1086 PowerShell) after every active one.
    const firstResource = a.hits.findIndex((h) => h.kind !== 'technique');
    expect(a.hits.slice(firstResource).every((h) => h.kind !== 'technique')).toBe(true);
    const refs = techniques.map((h) => h.ref);
    const activeRefs = refs.filter((id) => kb.technique(id)!.status === 'active');
    expect(refs.indexOf('T1086')).toBeGreaterThan(refs.indexOf(activeRefs[activeRefs.length - 1]!));
  });

  it('counts per kind add up to the total; kind and source filters; paging past the first page', () => {
    const all = searchKb(kb, { query: 'mimikatz', limit: 1000 });
    const c = all.counts;
    expect(c.technique + c.rule + c.test + c.control).toBe(all.total);
    // Independently: the techniques whose name or description says mimikatz.
    const mention = kb.techniques().filter((t) => /mimikatz/i.test(`${t.name} ${t.description}`)).length;
    expect(c.technique).toBe(mention);
    const tests = searchKb(kb, { query: 'mimikatz', limit: 1000, kinds: ['test'] });
    expect(tests.total).toBe(c.test);
    expect(tests.hits.every((h) => h.kind === 'test')).toBe(true);
    expect(tests.hits.map((h) => h.ref)).toEqual(all.hits.filter((h) => h.kind === 'test').map((h) => h.ref));
    const atomic = searchKb(kb, { query: 'mimikatz', limit: 1000, sources: ['atomic-red-team'] });
    expect(atomic.hits.length).toBeGreaterThan(0);
    expect(atomic.hits.every((h) => h.source === 'atomic-red-team')).toBe(true);
    expect(atomic.counts.technique).toBe(0);
    const page2 = searchKb(kb, { query: 'powershell', limit: 20, offset: 20 });
    const first40 = searchKb(kb, { query: 'powershell', limit: 40 });
    expect(page2.hits).toEqual(first40.hits.slice(20));
    expect(page2.total).toBe(first40.total);
  });

  it('the site ranks with the same function over its smaller index: the same order up to resource descriptions', () => {
    const site = createSearch(buildSearchIndex(kb));
    const index = buildSearchIndex(kb);
    for (const [q] of TOP) {
      const node = searchKb(kb, { query: q, limit: 60 }).hits.filter((h) => h.tier < 5).map((h) => h.ref);
      const browser = site.search(q).hits.slice(0, node.length).map((h) => (h.group === 'technique'
        ? index.techniques[h.index]![0] : `${index.sources[index.resources[h.index]![1]]![0]}:${index.resources[h.index]![2] || index.resources[h.index]![0]}`));
      expect([q, browser]).toEqual([q, node]);
    }
    // The site's index leaves resource descriptions out.
    expect(index.resources.every((r) => r[4] === '' && r[5] === 0)).toBe(true);
    // And the site's script carries the ranking function: it compiles and hands createSearch to the client.
    expect(() => new Script(SITE_JS)).not.toThrow();
    expect(SITE_JS).toContain('function createSearch(index)');
  });

  it('the CLI and the API answer with the same hits', async () => {
    for (const q of ['powershell', 'remote services', 'cloudtrail']) {
      const fromCli = JSON.parse(cli(['search', ...q.split(' '), '--json', '--limit', '10', '--db', kbPath]).stdout) as SearchAnswer;
      const fromApi = await api(`q=${encodeURIComponent(q)}&limit=10`);
      expect(fromApi.status).toBe(200);
      expect(fromCli.hits.map((h) => h.ref)).toEqual(fromApi.body.hits.map((h) => h.ref));
      expect(fromCli.counts).toEqual(fromApi.body.counts);
    }
    const paged = await api('q=powershell&limit=5&offset=5&kind=rule,test&source=sigma,atomic-red-team');
    expect(paged.status).toBe(200);
    const expected = searchKb(kb, { query: 'powershell', limit: 5, offset: 5, kinds: ['rule', 'test'], sources: ['sigma', 'atomic-red-team'] });
    expect(paged.body).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(paged.body.hits.every((h) => ['sigma', 'atomic-red-team'].includes(h.source!))).toBe(true);
    const bad = await api('q=powershell&source=sigmaa');
    expect(bad.status).toBe(400);
    expect(bad.body.suggestions).toEqual(['sigma']);
    expect((await api('q=powershell&kind=rules,banana')).status).toBe(400);
  });

  it('the CLI groups a page by kind and says how to get the next one; bad options are one-line errors', () => {
    const r = cli(['search', 'mimikatz', '--limit', '40', '--db', kbPath]);
    expect(r.code).toBe(0);
    const a = searchKb(kb, { query: 'mimikatz', limit: 40 });
    expect(r.stdout.split('\n')[0]).toBe(`"mimikatz": ${a.total} results (${a.counts.technique} techniques · ${a.counts.rule} rules · ${a.counts.test} tests · `
      + `${a.counts.control} controls), showing 1–40; --offset 40 for more`);
    const headings = r.stdout.split('\n').filter((l) => /^[A-Z]/.test(l));
    expect(headings).toEqual(['Techniques', 'Detection rules', 'Tests']);
    const kind = cli(['search', 'mimikatz', '--kind', 'tset', '--db', kbPath]);
    expect([kind.code, kind.stderr]).toEqual([2, 'purplebook: unknown --kind "tset"; did you mean test?\n']);
    const source = cli(['search', 'mimikatz', '--source', 'atomic', '--db', kbPath]);
    expect(source.code).toBe(2);
    expect(source.stderr).toBe('purplebook: unknown --source "atomic"; did you mean atomic-threat-coverage, atomic-red-team?\n');
  });
});

describe('ranking edge cases on a small index', () => {
  const index: SearchIndex = {
    sources: [['rules', 'Rules', 'rule'], ['tests', 'Tests', 'test']],
    techniques: [
      ['T1000', 'Remote Services', 'enterprise', 'active', ' network:2 ', 10],
      ['T0886', 'Remote Services', 'ics', 'active', '', 0],
      ['T1000.001', 'Remote Desktop', 'enterprise', 'active', ' rdp ', 5],
      ['T1999', 'Remote Services', 'enterprise', 'revoked', '', 0],
      ['T2000', 'Other', 'enterprise', 'active', ' remote:3 service ', 8],
    ],
    resources: [
      ['Remote service rule', 0, 'r-1', 'T2000', '', 0],
      ['Network test', 1, 'remote services', 'T1000', '', 0],
    ],
    stop: ['the'],
  };
  const { search } = createSearch(index);
  const order = (q: string) => search(q).hits.map((h) => (h.group === 'technique' ? index.techniques[h.index]![0] : index.resources[h.index]![0]));

  it('exact name, Enterprise before ICS, revoked after active, then descriptions, then resources', () => {
    expect(order('remote services')).toEqual(['T1000', 'T0886', 'T2000', 'T1999', 'Network test', 'Remote service rule']);
    expect(order('t1000')).toEqual(['T1000', 'T1000.001']);
    expect(order('the')).toEqual([]);
    expect(order('   ')).toEqual([]);
    expect(search('remote', { groups: ['rule'] }).hits.map((h) => h.index)).toEqual([0]);
  });
});
