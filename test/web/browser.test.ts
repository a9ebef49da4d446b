/**
 * The site in a real browser (Debian's chromium through playwright-core; never a downloaded one),
 * from file:// and from the server: matrix, measure switch, technique page, keyboard search, and
 * proof that hostile upstream text never runs as script, even with the CSP bypassed.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page as Tab } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { createServer } from '../../src/server/app.js';
import { writeSite } from '../../src/site/generate.js';
import { rawAttack } from '../attack-raw.js';
import { realSite, tempDir } from '../helpers.js';
import { XSS_FLAG, hostileKb } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

if (!HAVE_CHROMIUM) console.warn(`browser tests skipped: ${CHROMIUM} is absent (install Debian's chromium package to run them)`);

interface Target {
  name: string;
  /** Root URL of the site, ending with '/'. */
  root: string;
  /** A page's URL: `enterprise` → enterprise.html (file) or enterprise (server). */
  url(page: string): string;
}

function siteTarget(dir: string): Target {
  const root = pathToFileURL(dir).href + '/';
  return { name: 'static site (file://)', root, url: (p) => `${root}${p}.html` };
}

async function serverTarget(dbPath: string): Promise<{ target: Target; app: FastifyInstance }> {
  const app = createServer({ dbPath });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, target: { name: 'server', root: `${address}/`, url: (p) => `${address}/${p}` } };
}

/** Console errors include CSP violations: a clean page logs none. */
function watch(tab: Tab): { errors: string[]; dialogs: string[] } {
  const seen = { errors: [] as string[], dialogs: [] as string[] };
  tab.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  tab.on('pageerror', (e) => seen.errors.push(e.message));
  tab.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  return seen;
}

describe.skipIf(!HAVE_CHROMIUM)('the site in a browser', () => {
  let browser: Browser;
  const closers: (() => Promise<unknown>)[] = [];
  const targets: Target[] = [];
  const hostile: Target[] = [];
  const dbPath = inject('kbPath');

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    targets.push(siteTarget((await realSite()).dir));
    const real = await serverTarget(dbPath);
    closers.push(() => real.app.close());
    targets.push(real.target);

    const fx = await hostileKb();
    const fxKb = KnowledgeBase.open(fx.dbPath);
    const fxSite = join(tempDir(), 'hostile-site');
    writeSite({ kb: fxKb, outDir: fxSite, quiet: true });
    fxKb.close();
    hostile.push(siteTarget(fxSite));
    const fxServer = await serverTarget(fx.dbPath);
    closers.push(() => fxServer.app.close());
    hostile.push(fxServer.target);
  });

  afterAll(async () => {
    await browser?.close();
    for (const close of closers) await close();
  });

  async function tab(options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Tab; seen: ReturnType<typeof watch> }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
    const page = await context.newPage();
    return { context, page, seen: watch(page) };
  }

  for (const which of [0, 1]) {
    const label = which === 0 ? 'static site (file://)' : 'server';

    it(`${label}: matrix, measure switch, T1021.004 from its cell, its three sections`, async () => {
      const t = targets[which]!;
      const { context, page, seen } = await tab();
      try {
        await page.goto(t.url('enterprise'));
        await expect.poll(() => page.locator('#legend li').count()).toBeGreaterThan(1);
        expect(await page.locator('#legend-measure').textContent()).toBe('Validation class');
        // ATT&CK's own matrix order, read from the raw bundle (15 tactics since Defense Evasion split in 19).
        expect(await page.locator('section.tactic h2').evaluateAll((hs) => hs.map((h) => h.firstChild?.textContent?.trim()))).toEqual(rawAttack().matrixTactics.get('enterprise-attack'));

        const kb = KnowledgeBase.open(dbPath);
        const expected = buildPage(kb, 'T1021.004')!.summary;
        kb.close();
        const ssh = page.locator('section[aria-labelledby="tactic-TA0008"] li.cell[data-tid="T1021.004"]');
        await page.selectOption('#measure', 'detections');
        expect(await page.locator('#legend-measure').textContent()).toBe('Detections');
        expect(await ssh.locator('.score .val').textContent()).toBe(String(expected.detection_volume));
        expect(await ssh.getAttribute('data-c')).toMatch(/^m\d$/);
        expect(page.url()).toContain('#measure=detections');
        await page.selectOption('#measure', 'tests');
        expect(await ssh.locator('.score .val').textContent()).toBe(String(expected.test_volume));
        await page.selectOption('#measure', 'validation');
        expect(await ssh.getAttribute('data-c')).toMatch(/^v[0-3]$/);

        // Sub-techniques are folded: open T1021's, then follow T1021.004's cell.
        expect(await ssh.isVisible()).toBe(false);
        await page.locator('section[aria-labelledby="tactic-TA0008"] li.cell[data-tid="T1021"] > details > summary').click();
        await ssh.locator('a').click();
        await page.waitForURL(/techniques\/T1021\.004(\.html)?$/);
        expect(await page.locator('h1').textContent()).toBe('T1021.004: SSH');
        expect(await page.locator('section.pillar > h2').allTextContents())
          .toEqual(['Policy / Process Controls', 'Technical Controls (Detection Rules)', 'Offensive Security Tests']);
        expect(await page.locator('html').getAttribute('lang')).toBe('en');
        expect(seen.errors).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it(`${label}: search "ssh" with the keyboard and follow the first result`, async () => {
      const t = targets[which]!;
      const { context, page, seen } = await tab();
      try {
        await page.goto(t.url('search'));
        const input = page.locator('#search-input');
        await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
        await page.keyboard.type('ssh');
        await expect.poll(() => page.locator('#search-results [role="option"]').count()).toBeGreaterThan(2);
        // The technique list answers first; the shard of "s" arrives after and the list is drawn again.
        await expect.poll(() => page.locator('#search-status').textContent()).not.toMatch(/loading/i);
        expect(await page.locator('#search-status').textContent()).toMatch(/^\d+ results?/);
        expect(await input.getAttribute('aria-expanded')).toBe('true');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        expect(await input.getAttribute('aria-activedescendant')).toBe('result-1');
        await page.keyboard.press('ArrowUp');
        expect(await input.getAttribute('aria-activedescendant')).toBe('result-0');
        expect(await page.locator('#result-0').getAttribute('aria-selected')).toBe('true');
        const first = await page.locator('#result-0 a').getAttribute('href');
        expect(first).toMatch(/techniques\/T1021\.004(\.html)?$/);
        await page.keyboard.press('Enter');
        await page.waitForURL(/techniques\/T1021\.004(\.html)?$/);
        expect(await page.locator('h1').textContent()).toBe('T1021.004: SSH');

        // The header search of every page leads to the search page with the query run.
        await page.fill('#header-q', 'powershell');
        await page.press('#header-q', 'Enter');
        await page.waitForURL(/search(\.html)?\?q=powershell$/);
        await expect.poll(() => page.locator('#search-results [role="option"]').count()).toBeGreaterThan(0);
        expect(await page.locator('#result-0 .title').textContent()).toBe('T1059.001: PowerShell');
        expect(seen.errors).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it(`${label}: hostile upstream text never runs, even with the CSP bypassed`, async () => {
      const t = hostile[which]!;
      const { context, page, seen } = await tab({ bypassCSP: true });
      try {
        const visits = ['techniques/T1021.004', 'techniques/T1059', 'enterprise', 'sources', 'index'];
        for (const p of visits) {
          await page.goto(t.url(p));
          await page.waitForLoadState('load');
          expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], XSS_FLAG), p).toBeUndefined();
        }
        await page.goto(t.url('techniques/T1021.004'));
        await expect.poll(() => page.getByText('<img src=x onerror=alert(1)>', { exact: true }).count()).toBe(1);
        for (const href of await page.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))) {
          expect(href).not.toMatch(/^\s*(javascript|data|vbscript):/i);
        }
        // The rule whose link was javascript: is shown as text, not as a link.
        expect(await page.locator('span.item', { hasText: '<img src=x onerror=alert(1)>' }).count()).toBe(1);
        await page.locator('details summary').first().click();
        for (const q of ['img', 'script', 'brute']) {
          await page.goto(`${t.url('search')}?q=${q}`);
          await expect.poll(() => page.locator('#search-results [role="option"]').count(), { message: q }).toBeGreaterThan(0);
          await page.waitForTimeout(50);
          expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], XSS_FLAG), q).toBeUndefined();
        }
        await page.goto(`${t.url('search')}?q=img`);
        await expect.poll(() => page.getByText('<img src=x onerror=alert(1)>', { exact: true }).count()).toBe(1);
        // The page settles: any delayed handler (onerror of a broken image) would have run by now.
        await page.waitForTimeout(300);
        expect(seen.dialogs).toEqual([]);
        expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], XSS_FLAG)).toBeUndefined();
      } finally {
        await context.close();
      }
    });
  }
});
