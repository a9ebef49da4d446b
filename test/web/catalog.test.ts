/**
 * The source catalog as a site page, a server page and `/api/sources`: every source Purplebook
 * knows (the registry and the sources that cannot be had offline), by pillar, with its state
 * checked against the data folder itself and its counts against SQL on the knowledge base.
 */
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { createServer } from '../../src/server/app.js';
import { writeSite } from '../../src/site/generate.js';
import { ALL_SOURCES } from '../../src/sources/registry.js';
import { UNAVAILABLE_SOURCES } from '../../src/sources/unavailable.js';
import { rawAttack } from '../attack-raw.js';
import { DATA_DIR, tempDir } from '../helpers.js';
import { expectSafeDocument } from './checks.js';
import { hostileKb } from './fixture.js';

interface Expected {
  name: string;
  title: string;
  pillar: string;
  homepage: string;
  state: 'loaded' | 'not in the data' | 'not available offline';
  why?: string;
}

/** What the catalog must hold, from the registry, the unavailable list and the data folder, not from the catalog code. */
function expectedCatalog(): Expected[] {
  return [
    ...ALL_SOURCES.map((s): Expected => ({
      name: s.name, title: s.title, pillar: s.pillar, homepage: s.homepage,
      state: existsSync(join(DATA_DIR, s.folder)) ? 'loaded' : 'not in the data',
    })),
    ...UNAVAILABLE_SOURCES.map((u): Expected => ({ name: u.name, title: u.title, pillar: u.pillar, homepage: u.homepage, state: 'not available offline', why: u.why })),
  ];
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The HTML of one pillar's section. */
function pillarSection(page: string, pillar: string): string {
  const start = page.indexOf(`<section aria-labelledby="p-${pillar}"`);
  expect(start, pillar).toBeGreaterThan(0);
  const end = page.indexOf('</section>', start);
  return page.slice(start, end);
}

function row(section: string, name: string): string {
  const m = new RegExp(`<tr[^>]*data-source="${name}">([\\s\\S]*?)</tr>`).exec(section);
  expect(m, name).not.toBeNull();
  return m![1]!;
}

const cells = (r: string) => [...r.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!);

/** Every registry and unavailable source in its pillar's section, with its state, and for unavailable ones why and where. */
function expectWholeCatalog(page: string, what: string): void {
  const expected = expectedCatalog();
  expect(expected.length).toBe(ALL_SOURCES.length + 3);
  for (const pillar of ['policy', 'detection', 'test']) {
    const section = pillarSection(page, pillar);
    const listed = [...section.matchAll(/<tr[^>]*data-source="([^"]+)"/g)].map((m) => m[1]).sort();
    expect(listed, `${what}: ${pillar}`).toEqual(expected.filter((e) => e.pillar === pillar).map((e) => e.name).sort());
    for (const e of expected.filter((x) => x.pillar === pillar)) {
      const r = row(section, e.name);
      expect(cells(r)[0], `${what}: ${e.name}`).toBe(e.state);
      expect(r, e.name).toContain(`>${html(e.title)}</`);
      // Each source also has its card, with the same facts in full.
      expect(section, e.name).toContain(`<article class="source-card" id="source-${e.name}"`);
      if (e.why) {
        expect(r).toContain(html(e.why));
        expect(r).toContain(`<a href="${html(e.homepage)}" rel="noopener noreferrer">${html(e.title)}</a>`);
        expect(e.why.startsWith('not available offline')).toBe(true);
      }
    }
  }
}

describe('the source catalog on the real data', () => {
  const dbPath = inject('kbPath');
  let sitePage: string;
  let app: FastifyInstance;
  let db: Database.Database;

  beforeAll(async () => {
    const kb = KnowledgeBase.open(dbPath);
    const out = join(tempDir(), 'site');
    try {
      writeSite({ kb, outDir: out, quiet: true });
    } finally {
      kb.close();
    }
    sitePage = readFileSync(join(out, 'sources.html'), 'utf8');
    app = createServer({ dbPath });
    await app.ready();
    db = new Database(dbPath, { readonly: true });
  });
  afterAll(async () => {
    db.close();
    await app.close();
  });

  it('the static site lists every known source by pillar, loaded or not', () => {
    expectSafeDocument(sitePage, 'sources.html');
    expectWholeCatalog(sitePage, 'site');
  });

  it('the server page lists every known source by pillar, the same as the site', async () => {
    const r = await app.inject({ method: 'GET', url: '/sources' });
    expect(r.statusCode).toBe(200);
    expectSafeDocument(r.body, '/sources');
    expectWholeCatalog(r.body, 'server');
    // Same tables and cards; only links between pages differ (.html on the site).
    const section = (page: string) => pillarSection(page, 'detection').replace(/\.html/g, '');
    expect(section(r.body)).toBe(section(sitePage));
  });

  it('LogPoint, Tanium and the CIS Controls are "not available offline", with their links', () => {
    for (const name of ['logpoint', 'tanium', 'cis-controls']) {
      const u = UNAVAILABLE_SOURCES.find((x) => x.name === name)!;
      const card = sitePage.split(`id="source-${name}"`)[1]!.split('</article>')[0]!;
      expect(card).toContain('<dt>State</dt><dd>not available offline</dd>');
      expect(card).toContain(`<dt>Published at</dt><dd><a href="${html(u.homepage)}" rel="noopener noreferrer">`);
      expect(card).toContain(html(u.why));
    }
    expect(pillarSection(sitePage, 'policy')).toContain('data-source="cis-controls"');
    expect(pillarSection(sitePage, 'detection')).toContain('data-source="logpoint"');
  });

  it('counts of a loaded source are what SQL counts in the knowledge base', () => {
    for (const name of ['sigma', 'atomic-red-team', 'd3fend']) {
      const sql = db.prepare(`SELECT COUNT(DISTINCT r.id) AS resources, COUNT(*) AS mappings, COUNT(DISTINCT m.technique) AS techniques
        FROM mappings m JOIN resources r ON r.id = m.resource WHERE r.source = ? AND r.deprecated = 0`).get(name) as Record<string, number>;
      const warnings = (db.prepare('SELECT COUNT(*) AS n FROM warnings WHERE source = ?').get(name) as { n: number }).n;
      expect(sql.resources, name).toBeGreaterThan(0);
      const c = cells(row(sitePage, name));
      // state, commit, accessed, resources, mappings, techniques, unknown ids, warnings
      expect([c[3], c[4], c[5], c[7]], name).toEqual([sql.resources, sql.mappings, sql.techniques, warnings].map(String));
    }
    const sigmaDeprecated = (db.prepare('SELECT COUNT(*) AS n FROM resources WHERE source = ? AND deprecated = 1').get('sigma') as { n: number }).n;
    expect(sitePage.split('id="source-sigma"')[1]!.split('</article>')[0]).toContain(` · ${sigmaDeprecated} deprecated · `);
  });

  it('a source missing from the data folder says why and how to get it', () => {
    const missing = ALL_SOURCES.filter((s) => !existsSync(join(DATA_DIR, s.folder)));
    for (const s of missing) {
      const r = row(sitePage, s.name);
      expect(r).toContain(`no <code>${html(s.folder)}/</code> folder in the data`);
      expect(r).toContain(`<code>purplebook sync --source ${html(s.name)}</code>`);
    }
  });

  it('/api/sources keeps its statistics and adds the whole catalog', async () => {
    const body = (await app.inject({ method: 'GET', url: '/api/sources' })).json<{
      sources: { name: string; resources: number; loaded: boolean; homepage: string }[];
      attack: { version: string };
      warnings: { total: number };
      catalog: { name: string; pillar: string; state: string; why?: string; homepage: string; resources: number }[];
    }>();
    // The loaded-source statistics stay as they were (the fields of `purplebook stats --json`, plus provenance).
    const rows = db.prepare('SELECT name, resources, loaded FROM sources ORDER BY ord').all() as { name: string; resources: number; loaded: number }[];
    expect(body.sources.map((s) => s.name).sort()).toEqual(rows.map((r) => r.name).sort());
    expect(body.sources.find((s) => s.name === 'sigma')).toMatchObject({ loaded: true, resources: rows.find((r) => r.name === 'sigma')!.resources });
    expect(body.attack.version).toBe(rawAttack().collectionVersion);
    const expected = expectedCatalog();
    expect(body.catalog.map((c) => c.name).sort()).toEqual(expected.map((e) => e.name).sort());
    const stateWords: Record<string, Expected['state']> = { loaded: 'loaded', absent: 'not in the data', unavailable: 'not available offline' };
    for (const e of expected) {
      const c = body.catalog.find((x) => x.name === e.name)!;
      expect([stateWords[c.state], c.pillar, c.homepage], e.name).toEqual([e.state, e.pillar, e.homepage]);
      if (e.why) expect(c.why).toBe(e.why);
    }
  });
});

describe('the source catalog of a knowledge base built with other sources', () => {
  it('lists the registry as not in the data and the sources it holds as loaded, escaped', async () => {
    const fx = await hostileKb();
    const app = createServer({ dbPath: fx.dbPath });
    try {
      const page = (await app.inject({ method: 'GET', url: '/sources' })).body;
      expectSafeDocument(page, '/sources (hostile)');
      const detection = pillarSection(page, 'detection');
      expect(cells(row(detection, 'evil-rules'))[0]).toBe('loaded');
      expect(detection).toContain('Evil &lt;b&gt;Rules&lt;/b&gt;');
      expect(detection).toContain('&lt;i&gt;none&lt;/i&gt;');
      for (const s of ALL_SOURCES) expect(cells(row(pillarSection(page, s.pillar), s.name))[0], s.name).toBe('not in the data');
      const api = (await app.inject({ method: 'GET', url: '/api/sources' })).json<{ catalog: { name: string; state: string }[] }>();
      expect(api.catalog).toHaveLength(ALL_SOURCES.length + UNAVAILABLE_SOURCES.length + 2);
      expect(api.catalog.filter((c) => c.state === 'loaded').map((c) => c.name).sort()).toEqual(['evil-rules', 'evil-tests']);
    } finally {
      await app.close();
    }
  });
});
