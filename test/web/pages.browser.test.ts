/**
 * Pages people read, in a real browser (Debian's chromium through playwright-core): no sideways
 * scrolling at 390 and 1440 px, the compact matrix, dark mode, the copy button, in-page filters
 * and sorting, details loaded on demand, the search index loaded on the first query, and print.
 * Expected counts come from the knowledge base's tables or the upstream files, not from the pages.
 */
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page as Tab } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KnowledgeBase } from '../../src/kb/open.js';
import { searchKb } from '../../src/search/index.js';
import { createServer } from '../../src/server/app.js';
import { buildPage } from '../../src/page/build.js';
import { itemViewsData } from '../../src/render/html.js';
import { writeSite } from '../../src/site/generate.js';
import { SITE_LINKS } from '../../src/site/layout.js';
import { SiteModel, dataScript } from '../../src/site/model.js';
import { techniqueDataPath, techniquePageResult } from '../../src/site/pages.js';
import { DATA_DIR, REPO, realSite, tempDir } from '../helpers.js';
import { XSS_FLAG, hostileKb } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOTS = process.env.PURPLEBOOK_SCREENSHOTS === '1' ? join(REPO, 'docs', 'img') : tempDir('purplebook-shots-');

type Raw = { type?: string; id?: string; x_mitre_deprecated?: boolean; tactic_refs?: string[] };

/** Enterprise tactics in the bundle's current matrix (15 in ATT&CK 19.1). */
function enterpriseTactics(): number {
  const objects = (JSON.parse(readFileSync(join(DATA_DIR, 'attack', 'enterprise-attack.json'), 'utf8')) as { objects: Raw[] }).objects;
  return objects.find((o) => o.type === 'x-mitre-matrix' && !o.x_mitre_deprecated)!.tactic_refs!.length;
}

/** How far the document is wider than the window (0: no sideways scrolling). */
const overflow = (page: Tab) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Relative luminance of an element's computed background (0 black … 1 white). */
const backgroundLuminance = (page: Tab, selector: string) => page.evaluate((sel) => {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(getComputedStyle(document.querySelector(sel)!).backgroundColor)!;
  const lin = (c: number) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(Number(m[1])) + 0.7152 * lin(Number(m[2])) + 0.0722 * lin(Number(m[3]));
}, selector);

describe.skipIf(!HAVE_CHROMIUM)('pages in a browser: layout, theme, filters, copy, lazy data, print', () => {
  const dbPath = inject('kbPath');
  let browser: Browser;
  let app: FastifyInstance;
  let server: string;
  let site: string;
  let db: Database.Database;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    site = `${pathToFileURL((await realSite()).dir).href}/`;
    app = createServer({ dbPath });
    server = `${await app.listen({ port: 0, host: '127.0.0.1' })}/`;
    db = new Database(dbPath, { readonly: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    db?.close();
    await browser?.close();
    await app?.close();
  });

  async function open(url: string, options: BrowserContextOptions = {}): Promise<{ page: Tab; errors: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForLoadState('load');
    return { page, errors, close: () => context.close() };
  }

  /** Resources of a source mapped to a technique, from the tables. */
  const countOf = (technique: string, where: string, ...args: unknown[]) => db.prepare(`SELECT COUNT(*) FROM mappings m JOIN resources r ON r.id = m.resource
    JOIN sources s ON s.name = r.source AND s.loaded = 1 WHERE m.technique = ? AND r.deprecated = 0 AND ${where}`).pluck().get(technique, ...args) as number;

  it('no page scrolls sideways at 390 or 1440 px: home, matrix, T1059.001, sources, coverage and the plan', async () => {
    const pages = [['home', ''], ['matrix', 'enterprise'], ['T1059.001', 'techniques/T1059.001'], ['sources', 'sources'], ['coverage', 'coverage']];
    for (const width of [390, 1440]) {
      for (const [name, path] of pages) {
        for (const root of name === 'coverage' ? [server] : [site, server]) {
          const url = root === site ? `${root}${path || 'index'}.html` : `${root}${path}`;
          const { page, errors, close } = await open(url, { viewport: { width, height: 900 } });
          try {
            expect(await overflow(page), `${url} at ${width} px`).toBeLessThanOrEqual(0);
            if (name === 'coverage') {
              // The plan for APT29 on Windows, every technique unfolded.
              await page.fill('#threat-input', 'G0016');
              await page.locator('#threat-options li').first().waitFor();
              await page.keyboard.press('Enter');
              await page.fill('#plan-platforms', 'windows');
              await page.click('#run-plan');
              await page.locator('#plan-result').waitFor({ state: 'visible' });
              await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { (d).open = true; }));
              expect(await overflow(page), `plan at ${width} px`).toBeLessThanOrEqual(0);
              await page.click('#run-coverage');
              await page.locator('#coverage-result').waitFor({ state: 'visible' });
              expect(await overflow(page), `coverage result at ${width} px`).toBeLessThanOrEqual(0);
            }
            if (width === 390 && name === 'T1059.001' && root === site) await page.screenshot({ path: join(SCREENSHOTS, 'technique-390.png') });
            expect(errors, url).toEqual([]);
          } finally {
            await close();
          }
        }
      }
    }
  });

  it('the enterprise matrix fits 1440 px in compact mode; wide columns scroll inside the matrix; the choice is kept', async () => {
    const { page, close } = await open(`${site}enterprise.html`);
    try {
      const matrix = page.locator('.matrix');
      expect(await page.locator('section.tactic').count()).toBe(enterpriseTactics());
      expect(await matrix.getAttribute('class')).toContain('compact');
      const fits = () => matrix.evaluate((m) => m.scrollWidth <= m.clientWidth);
      expect(await fits()).toBe(true);
      // Every column is on screen.
      const right = await page.locator('section.tactic').last().evaluate((s) => s.getBoundingClientRect().right);
      expect(right).toBeLessThanOrEqual(1440);
      await page.screenshot({ path: join(SCREENSHOTS, 'matrix.png') });
      await page.click('#matrix-density');
      expect(await page.locator('#matrix-density').getAttribute('aria-pressed')).toBe('false');
      expect(await fits()).toBe(false);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      await page.reload();
      expect(await matrix.getAttribute('class')).not.toContain('compact');
    } finally {
      await close();
    }
  });

  it('dark mode follows prefers-color-scheme, and the toggle switches and remembers', async () => {
    const dark = await open(`${server}techniques/T1021.004`, { colorScheme: 'dark' });
    try {
      expect(await backgroundLuminance(dark.page, 'html')).toBeLessThan(0.05);
      expect(await dark.page.locator('#theme-toggle').textContent()).toBe('Light mode');
      await dark.page.screenshot({ path: join(SCREENSHOTS, 'technique-dark.png') });
      await dark.page.click('#theme-toggle');
      expect(await backgroundLuminance(dark.page, 'html')).toBeGreaterThan(0.9);
      await dark.page.reload();
      expect(await dark.page.locator('html').getAttribute('data-theme')).toBe('light');
      expect(await backgroundLuminance(dark.page, 'html')).toBeGreaterThan(0.9);
    } finally {
      await dark.close();
    }
    const light = await open(`${site}index.html`, { colorScheme: 'light' });
    try {
      expect(await backgroundLuminance(light.page, 'html')).toBeGreaterThan(0.9);
      await light.page.click('#theme-toggle');
      expect(await light.page.locator('#theme-toggle').getAttribute('aria-pressed')).toBe('true');
      expect(await backgroundLuminance(light.page, 'html')).toBeLessThan(0.05);
    } finally {
      await light.close();
    }
  });

  it('the copy button copies the Atomic command and a Sigma rule\'s detection block as text', async () => {
    const yaml = parseYaml(readFileSync(join(DATA_DIR, 'atomic-red-team', 'atomics', 'T1021.004', 'T1021.004.yaml'), 'utf8')) as {
      atomic_tests: { name: string; executor: { command: string } }[];
    };
    const first = yaml.atomic_tests[0]!;
    const { page, errors, close } = await open(`${server}techniques/T1021.004`);
    try {
      await page.screenshot({ path: join(SCREENSHOTS, 'technique.png') });
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.slice(0, -1) });
      const item = page.locator('#source-atomic-red-team li.res').first();
      expect(await item.locator('.item').textContent()).toBe(first.name);
      await item.locator('details.code summary').first().click();
      const button = item.locator('details.code button.copy').first();
      expect(await button.isVisible()).toBe(true);
      await button.click();
      await expect.poll(() => button.textContent()).toBe('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(first.executor.command.trim());
      // Shown as text: nothing in the command became markup.
      expect(await item.locator('details.code pre code').first().evaluate((c) => c.children.length)).toBe(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'technique-commands.png') });
      // A Sigma rule's detection block folds out the same way and copies as the upstream file writes it.
      const kb = KnowledgeBase.open(dbPath);
      const sigma = buildPage(kb, 'T1021.004')!.sections.flatMap((x) => x.sources).find((x) => x.source === 'sigma')!.items[0]!;
      kb.close();
      const rule = page.locator('#source-sigma li.res').first();
      expect(await rule.locator('.item').textContent()).toBe(sigma.name);
      await rule.locator('details.code summary', { hasText: 'Sigma detection' }).click();
      const copy = rule.locator('details.code button.copy').first();
      await copy.click();
      await expect.poll(() => copy.textContent()).toBe('Copied');
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe(sigma.logic!.text);
      const file = join(DATA_DIR, 'sigma', decodeURIComponent(new URL(sigma.url!).pathname.split('/blob/')[1]!.split('/').slice(1).join('/')));
      expect(readFileSync(file, 'utf8')).toContain(copied.split('\n').slice(0, 3).join('\n'));
      expect(await rule.locator('details.code pre code').first().evaluate((c) => c.children.length)).toBe(0);
      await rule.locator('details.code').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOTS, 'technique-logic.png') });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  for (const root of ['site', 'server'] as const) {
    it(`${root}: filters hide and show items, sorting reorders them, deferred items and details load on demand`, async () => {
      const url = root === 'site' ? `${site}techniques/T1059.001.html` : `${server}techniques/T1059.001`;
      const { page, errors, close } = await open(url);
      try {
        const article = page.locator('article.technique');
        // T1059.001 is over the page budget: its details and long lists wait in a data file.
        expect(await article.getAttribute('data-details')).toMatch(/data\/techniques\/T1059\.001\.js$/);
        const visible = () => page.locator('li.res:visible').count();
        const total = countOf('T1059.001', '1');
        expect(await page.locator('li.res').count()).toBeLessThan(total);

        await page.selectOption('#item-filters select[name="source"]', 'atomic-red-team');
        await expect.poll(() => page.locator('#item-filters .filter-status').textContent()).toMatch(/resources shown/);
        expect(await article.getAttribute('data-loaded')).toBe('true');
        expect(await page.locator('li.res').count()).toBe(total);
        expect(await visible()).toBe(countOf('T1059.001', "r.source = 'atomic-red-team'"));
        expect(await page.locator('section.source:visible').count()).toBe(1);

        await page.selectOption('#item-filters select[name="source"]', '');
        await page.selectOption('#item-filters select[name="level"]', 'high');
        const high = countOf('T1059.001', "lower(coalesce(json_extract(r.meta, '$.level'), json_extract(r.meta, '$.severity'))) = 'high'");
        expect(high).toBeGreaterThan(0);
        await expect.poll(visible).toBe(high);
        expect(await page.locator('#item-filters .filter-status').textContent()).toBe(`${high} of ${total} resources shown.`);

        await page.click('#item-filters button[type="reset"]');
        await expect.poll(visible).toBe(total);

        // Newest first within each source.
        await page.selectOption('#item-filters select[name="sort"]', 'date');
        const dates = await page.locator('#source-sigma li.res').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.date ?? ''));
        expect(dates.length).toBe(countOf('T1059.001', "r.source = 'sigma'"));
        expect(dates).toEqual([...dates].sort().reverse());

        // A deferred item's details render from the data file, as text.
        const details = page.locator('#source-sigma li.res details.more').first();
        await details.locator('summary').click();
        expect(await details.locator('dl dt').first().textContent()).toBe('id');
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    });
  }

  it('a folded part of a deferred item opens once its data has loaded', async () => {
    const { page, errors, close } = await open(`${site}techniques/T1059.001.html`);
    try {
      const item = page.locator('#source-atomic-red-team li.res').first();
      await item.locator('details.lazy summary').click();
      await expect.poll(() => item.locator('details.code[open]').count()).toBe(1);
      expect(await item.locator('details.code button.copy').first().isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('search loads its index on the first query only: the technique list, one resource file, a word or count file per word', async () => {
    const { page, errors, close } = await open(`${site}search.html`);
    try {
      // Data files are scripts the page adds (file:// has no fetch): the script elements say what was loaded.
      const loaded = () => page.evaluate(() => Array.from(document.querySelectorAll('script[src]'), (s) => (s as HTMLScriptElement).src.replace(/^.*\/data\//, 'data/'))
        .filter((n) => n.startsWith('data/')));
      const resourceFiles = (files: string[]) => files.filter((f) => /^data\/search\/[a-z0-9_]+\.js$/.test(f));
      const key = (file: string) => file.replace(/^data\/search\/(words-|counts-)?/, '').replace(/\.js$/, '');
      // A count ending in "." is final; one ending in "…" is shown while the rest of the index still loads.
      const settled = /^\d+ results? [^…]*\.$/;
      expect(await loaded()).toEqual([]);
      await page.keyboard.type('s');
      await expect.poll(() => page.locator('#search-status').textContent()).toMatch(settled);
      await page.keyboard.type('sh');
      await expect.poll(() => page.locator('#search-results [role="option"]').count()).toBeGreaterThan(2);
      await expect.poll(() => page.locator('#search-status').textContent()).toMatch(settled);
      // Typed on after "s": the list, the resources of s (which serve the longer prefixes too), the count of s and the words of ss….
      const typed = await loaded();
      expect(typed[0]).toBe('data/search-techniques.js');
      expect(resourceFiles(typed)).toEqual(['data/search/s.js']);
      expect(typed).toContain('data/search/counts-s.js');
      for (const f of typed.slice(1)) expect(['s', 'ss', 'ssh'], f).toContain(key(f));
      // Resource titles are found by the start of their words.
      expect(await page.locator('#search-results .title', { hasText: 'SSH' }).count()).toBeGreaterThan(2);
      const kb = KnowledgeBase.open(dbPath);
      try {
        const sameAsCli = async (query: string) => {
          await expect.poll(() => page.locator('#search-status').textContent(), { message: query }).toMatch(settled);
          const expected = searchKb(kb, { query, limit: 100_000 }).hits.filter((h) => h.tier < 5);
          expect(await page.locator('#search-status').textContent()).toMatch(new RegExp(`^${expected.length} results?`));
          const titles = await page.locator('#search-results .title').allTextContents();
          expect([query, titles]).toEqual([query, expected.slice(0, 50).map((h) => (h.kind === 'technique' ? `${h.ref}: ${h.title.slice(h.ref.length + 1)}` : h.title))]);
        };
        // Several words, some of one letter (a count of their description words): the loaded s file serves; the order is purplebook search's (but resource descriptions).
        for (const query of ['services r', 's c p d']) {
          await page.locator('#search-input').fill(query);
          await sameAsCli(query);
          expect(resourceFiles(await loaded()), query).toEqual(['data/search/s.js']);
        }
        const counted = await loaded();
        expect(['c', 'd', 'p', 's'].filter((k) => !counted.includes(`data/search/counts-${k}.js`))).toEqual([]);
        // A query from the address, nothing loaded yet: one resource file, the smaller of its words' cut files.
        await page.goto(`${site}search.html?q=${encodeURIComponent('remote services')}`);
        await sameAsCli('remote services');
        const fresh = resourceFiles(await loaded());
        expect(fresh.length).toBe(1);
        expect(key(fresh[0]!).length).toBeGreaterThan(1);
        expect(['remote', 'service'].some((w) => w.startsWith(key(fresh[0]!)))).toBe(true);
        // A pasted Atomic test GUID loads only the UUID file of its first two characters and finds the test.
        const atomic = db.prepare(`SELECT upstream_id AS id, title FROM resources WHERE source = 'atomic-red-team' AND deprecated = 0
          AND upstream_id LIKE '________-____-____-____-____________' ORDER BY key LIMIT 1`).get() as { id: string; title: string };
        await page.locator('#search-input').fill(atomic.id.toUpperCase());
        await expect.poll(() => page.locator('#search-results .title').first().textContent()).toBe(atomic.title);
        expect((await loaded()).filter((f) => f.includes('uuid-'))).toEqual([`data/search/uuid-${atomic.id.slice(0, 2).toLowerCase()}.js`]);
      } finally {
        kb.close();
      }
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('hostile upstream text in a deferred page and its data file never runs, even with the CSP bypassed', async () => {
    const fx = await hostileKb();
    const kb = KnowledgeBase.open(fx.dbPath);
    const dir = join(tempDir(), 'hostile-site');
    try {
      writeSite({ kb, outDir: dir, quiet: true });
      // Force the lightest rendering (details and commands deferred, a few items per source) and write its data file.
      const page = buildPage(kb, 'T1021.004')!;
      const light = techniquePageResult(new SiteModel(kb), page, SITE_LINKS, 1);
      expect(light.deferred).toBe(true);
      writeFileSync(join(dir, 'techniques', 'T1021.004.html'), light.html);
      writeFileSync(join(dir, techniqueDataPath('T1021.004')), dataScript('PURPLEBOOK_DETAILS', itemViewsData(page)));
    } finally {
      kb.close();
    }
    const { page, close } = await open(`${pathToFileURL(dir).href}/techniques/T1021.004.html`, { bypassCSP: true });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    try {
      const rules = page.locator('#source-evil-rules');
      expect(await rules.locator('li.res details.lazy').count()).toBe(2);
      await rules.locator('li.res details.lazy summary').first().click();
      await expect.poll(() => page.locator('article.technique').getAttribute('data-loaded')).toBe('true');
      expect(await page.locator('details.lazy').count()).toBe(0);
      for (const d of await page.locator('li.res > details').all()) await d.locator('summary').click();
      // The command of rule a: the script text, shown as text.
      expect(await rules.locator('details.code pre code').first().textContent()).toContain(`<script>window.${XSS_FLAG}='command'</script>`);
      expect(await page.getByText('<img src=x onerror=alert(1)>', { exact: true }).count()).toBeGreaterThan(0);
      expect(await page.locator('li.res img, li.res script, li.res svg, li.res i, li.res b').count()).toBe(0);
      for (const href of await page.locator('li.res a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))) expect(href).toMatch(/^https?:\/\//);
      await page.waitForTimeout(300);
      expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], XSS_FLAG)).toBeUndefined();
      expect(dialogs).toEqual([]);
    } finally {
      await close();
    }
  });

  it('prints T1059.001 and the plan on A4 and Letter without navigation or sideways overflow', async () => {
    for (const [format, width] of [['A4', 794], ['Letter', 816]] as const) {
      const { page, close } = await open(`${server}techniques/T1059.001`, { viewport: { width, height: 1100 }, colorScheme: 'dark' });
      try {
        await page.emulateMedia({ media: 'print' });
        expect(await page.locator('header.site').isVisible()).toBe(false);
        expect(await page.locator('#item-filters').isVisible()).toBe(false);
        expect(await backgroundLuminance(page, 'html')).toBeGreaterThan(0.9);
        expect(await overflow(page)).toBeLessThanOrEqual(0);
        const pdf = await page.pdf({ format });
        expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      } finally {
        await close();
      }
    }
    const { page, close } = await open(`${server}coverage`, { viewport: { width: 794, height: 1100 } });
    try {
      await page.fill('#threat-input', 'G0016');
      await page.locator('#threat-options li').first().waitFor();
      await page.keyboard.press('Enter');
      await page.fill('#plan-platforms', 'windows');
      await page.click('#run-plan');
      await page.locator('#plan-result').waitFor({ state: 'visible' });
      await page.emulateMedia({ media: 'print' });
      await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
      expect(await page.locator('details.plan-technique:not([open])').count()).toBe(0);
      expect(await page.locator('#coverage-form').isVisible()).toBe(false);
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      expect((await page.pdf({ format: 'A4' })).subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await close();
    }
  });
});
