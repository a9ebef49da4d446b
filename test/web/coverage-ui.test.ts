/**
 * The coverage page in a real browser (Debian's chromium through playwright-core): pick APT29
 * with the autocomplete, upload rule files, see the heatmap, download the Navigator layer, build
 * the plan. A rule whose title and file name carry markup must show as text and never run.
 */
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { createServer } from '../../src/server/app.js';
import { selectThreats, type ThreatOptions } from '../../src/threats/select.js';
import { fixtureDir } from '../helpers.js';
import { XSS_FLAG } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);

const sigma = (title: string, tag: string) => `title: ${JSON.stringify(title)}
logsource:
  product: linux
detection:
  selection:
    program: sshd
  condition: selection
tags:
  - ${tag}
`;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const HOSTILE_TITLE = `<img src=x onerror="window.${XSS_FLAG}='title'"> Cloud services logon`;
const HOSTILE_FILE = '<img src=x onerror=alert(7)>.yml';

describe.skipIf(!HAVE_CHROMIUM)('the coverage page in a browser', () => {
  const dbPath = inject('kbPath');
  let browser: Browser;
  let app: FastifyInstance;
  let address: string;
  let scope: string[];
  let rulesDir: string;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    app = createServer({ dbPath });
    address = await app.listen({ port: 0, host: '127.0.0.1' });
    const db = new Database(dbPath, { readonly: true });
    try {
      const used = db.prepare('SELECT technique FROM actor_uses WHERE actor = ?').pluck().all('G0016') as string[];
      const active = new Set(db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack'").pluck().all() as string[]);
      scope = [...new Set(used.flatMap((id) => (id.includes('.') ? [id, id.split('.')[0]!] : [id])))].filter((id) => active.has(id)).sort();
    } finally {
      db.close();
    }
    rulesDir = fixtureDir({
      'ssh.yml': sigma('SSH logon', 'attack.t1021.004'),
      [HOSTILE_FILE]: sigma(HOSTILE_TITLE, 'attack.t1021.007'),
      'notes.txt': 'not a rule',
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('picks G0016 by autocomplete, uploads rules, shows the heatmap, downloads the layer, builds the plan', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    try {
      await page.goto(`${address}/coverage`);
      expect(await page.locator('h1').textContent()).toBe('Own-rule coverage');

      // Autocomplete: typing an alias lists APT29; the keyboard picks it.
      await page.locator('#threat-input').pressSequentially('Cozy Bear', { delay: 10 });
      const option = page.locator('#threat-options [role="option"][data-id="G0016"]');
      await option.waitFor();
      expect(await page.locator('#threat-input').getAttribute('aria-expanded')).toBe('true');
      expect(await option.locator('.detail').textContent()).toContain('also known as Cozy Bear');
      const index = await page.locator('#threat-options [role="option"]').evaluateAll((els) => els.findIndex((e) => (e as HTMLElement).dataset.id === 'G0016'));
      for (let i = 0; i <= index; i++) await page.keyboard.press('ArrowDown');
      expect(await page.locator('#threat-input').getAttribute('aria-activedescendant')).toBe(`threat-opt-${index}`);
      await page.keyboard.press('Enter');
      await page.locator('#threat-chosen li[data-id="G0016"]').waitFor();
      expect(await page.locator('#threat-chosen li').count()).toBe(1);
      expect(await page.locator('#threat-input').inputValue()).toBe('');
      expect(await page.locator('#threat-options').isHidden()).toBe(true);

      await page.setInputFiles('#rules-files', [join(rulesDir, 'ssh.yml'), join(rulesDir, HOSTILE_FILE), join(rulesDir, 'notes.txt')]);
      await expect.poll(() => page.locator('#rules-status').textContent()).toMatch(/^3 files ready/);

      await page.click('#run-coverage');
      await page.locator('#coverage-result').waitFor({ state: 'visible' });
      expect(await page.locator('#coverage-summary').textContent())
        .toBe(`APT29 (G0016): 1 of ${scope.length} techniques covered by own rules (${(100 / scope.length).toFixed(1)}%), 1 partially (sub-techniques only), `
          + `${scope.length - 1} without an own rule. 2 own rules read = 2 mapped + 0 without ATT&CK id + 0 deprecated + 0 whose ids did not count; `
          + '3 files = 2 with rules + 1 skipped. 1 of the mapped map to techniques of this report.');

      // The heatmap: APT29's techniques coloured, every other technique greyed out.
      const grid = page.locator('.heatmap[data-domain="enterprise-attack"]');
      expect(await grid.isVisible()).toBe(true);
      expect(await page.locator('.heatmap[data-domain="mobile-attack"]').isHidden()).toBe(true);
      const cell = (id: string) => grid.locator(`li.cell[data-tid="${id}"]`).first();
      expect(await cell('T1021.007').getAttribute('data-c')).toBe('v3');
      expect(await cell('T1021.007').locator(':scope > .score .val').textContent()).toBe('1');
      expect(await cell('T1021').getAttribute('data-status')).toBe('partial');
      expect(await cell('T1021').getAttribute('data-c')).toBe('v1');
      expect(await cell('T1021.004').getAttribute('data-status')).toBe('out');
      expect(await cell('T1021.004').getAttribute('data-c')).toBe('m0');
      const painted = await grid.locator('li.cell[data-tid]').evaluateAll((els) => [...new Set(els
        .filter((e) => (e as HTMLElement).dataset.status !== 'out').map((e) => (e as HTMLElement).dataset.tid!))].sort());
      expect(painted).toEqual(scope);
      expect(await page.locator('#gap-table tbody tr').count()).toBe(Math.min(100, scope.length - 1));

      // Markup in a rule's title and file name is shown as text, and runs nowhere.
      await expect.poll(() => page.getByText(`${HOSTILE_TITLE} — ${HOSTILE_FILE}`, { exact: true }).count()).toBe(1);
      expect(await page.locator('#covered-list img').count()).toBe(0);

      // The layer download: the same coverage, as an ATT&CK Navigator layer linking to this server.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-layer')]);
      expect(download.suggestedFilename()).toBe('purplebook-coverage-layer.json');
      const layer = JSON.parse(readFileSync((await download.path()), 'utf8')) as {
        versions: { layer: string }; techniques: { techniqueID: string; score?: number; enabled: boolean; links: { url: string }[]; metadata?: { name: string; value: string }[] }[];
      };
      expect(layer.versions.layer).toBe('4.5');
      const entry = layer.techniques.find((t) => t.techniqueID === 'T1021.007')!;
      expect(entry).toMatchObject({ score: 1, enabled: true });
      expect(entry.links[0]!.url).toBe(`${address}/techniques/T1021.007.html`);
      expect(entry.metadata).toContainEqual({ name: 'rule', value: `${HOSTILE_TITLE} (${HOSTILE_FILE})` });
      expect(layer.techniques.filter((t) => t.enabled).map((t) => t.techniqueID).sort()).toEqual(scope);

      const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
      expect(readFileSync((await csv.path()), 'utf8').trimEnd().split('\r\n')).toHaveLength(scope.length + 1);

      // The plan view.
      await page.fill('#plan-platforms', 'windows');
      await page.click('#run-plan');
      await page.locator('#plan-result').waitFor({ state: 'visible' });
      expect(await page.locator('#plan-title').textContent()).toBe('Purple-team plan: APT29 (G0016) on windows');
      expect(await page.locator('details.plan-technique').count()).toBe(scope.length);
      const cloud = page.locator('details.plan-technique[data-tid="T1021.007"]');
      await cloud.locator('summary').click();
      expect(await cloud.locator('.plan-list').nth(1).locator('h5').textContent()).toBe('Own detections that should fire');
      expect(await cloud.getByText(`${HOSTILE_TITLE} — ${HOSTILE_FILE}`, { exact: true }).count()).toBe(1);

      await page.waitForTimeout(300);
      expect(await page.evaluate((flag) => (window as unknown as Record<string, unknown>)[flag], XSS_FLAG)).toBeUndefined();
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('heatmap "only this threat", % per tactic, source chips, plan ticks kept in the browser and the outcome sheet', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    try {
      await page.goto(`${address}/coverage`);
      await page.fill('#threat-input', 'G0016');
      await page.locator('#threat-options [data-id="G0016"]').waitFor();
      await page.keyboard.press('Enter');
      await page.click('#run-coverage');
      await page.locator('#coverage-result').waitFor({ state: 'visible' });

      // Percent column: covered / total per tactic, as the table's own numbers say.
      for (const row of await page.locator('#tactic-table tbody tr').all()) {
        const [covered, , total, pct] = (await row.locator('td').allTextContents()).map((x) => x.trim());
        expect(pct).toBe(Number(total) ? `${((100 * Number(covered)) / Number(total)).toFixed(1)}%` : '–');
      }
      // Gap rows: one chip per source.
      const firstGap = page.locator('#gap-table tbody tr').first();
      expect(await firstGap.locator('td').nth(4).locator('ul.source-chips li').count()).toBeGreaterThan(0);
      expect(await firstGap.locator('td').nth(4).locator('li').first().textContent()).toMatch(/^.+ \d+$/);

      // Only this threat's techniques: the cells outside it disappear, the threat's stay.
      const grid = page.locator('.heatmap[data-domain="enterprise-attack"]');
      const shown = () => grid.locator('li.cell[data-tid]:visible').count();
      const before = await shown();
      await page.check('#heatmap-only');
      const parents = scope.filter((id) => !id.includes('.')).length;
      await expect.poll(shown).toBeLessThan(before);
      expect(await shown()).toBeGreaterThanOrEqual(parents);
      expect(await grid.locator('li.cell[data-status="out"]:visible').count()).toBe(0);
      await page.uncheck('#heatmap-only');
      expect(await shown()).toBe(before);

      // The plan: tick a test, reload, build the same plan: the tick is still there and in the outcome sheet.
      const buildPlan = async () => {
        await page.fill('#plan-platforms', 'windows');
        await page.click('#run-plan');
        await page.locator('#plan-result').waitFor({ state: 'visible' });
      };
      await buildPlan();
      const ps = page.locator('details.plan-technique[data-tid="T1059.001"]');
      await ps.locator('summary').click();
      const tests = ps.locator('.plan-list').first().locator('li');
      // Atomic tests in test-number order.
      const numbers = (await tests.locator('.source').allTextContents()).map((t) => /T1059\.001-(\d+)/.exec(t)?.[1]).filter(Boolean).map(Number);
      expect(numbers.length).toBeGreaterThan(5);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      await tests.first().locator('input[type="checkbox"]').check();
      await page.reload();
      await page.fill('#threat-input', 'G0016');
      await page.locator('#threat-options [data-id="G0016"]').waitFor();
      await page.keyboard.press('Enter');
      await buildPlan();
      await ps.locator('summary').click();
      expect(await tests.first().locator('input[type="checkbox"]').isChecked()).toBe(true);
      expect(await tests.nth(1).locator('input[type="checkbox"]').isChecked()).toBe(false);
      const [sheet] = await Promise.all([page.waitForEvent('download'), page.click('#dl-outcome')]);
      expect(sheet.suggestedFilename()).toBe('purplebook-outcome.csv');
      const rows = readFileSync((await sheet.path()), 'utf8').trimEnd().split('\r\n');
      expect(rows[0]).toBe('technique,tactic,part,source,id,name,url,done');
      expect(rows.filter((r) => r.endsWith(',yes'))).toHaveLength(1);
      expect(rows.find((r) => r.endsWith(',yes'))).toMatch(/^T1059\.001,Execution,test,Atomic Red Team,T1059\.001-1 /);
      expect(rows.length - 1).toBe(await page.locator('details.plan-technique .plan-list li input[type="checkbox"]').count());
      // With Windows chosen, no cloud-provider control or product CVE is listed.
      const controls = await page.locator('details.plan-technique .plan-list:nth-of-type(3) .source').allTextContents();
      expect(controls.some((c) => /AWS|Azure|Google Cloud|Microsoft 365|CISA KEV/.test(c))).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('selects groups by threat profile: the fields reach the server and AND together', async () => {
    const kb = KnowledgeBase.open(dbPath);
    const expected = (o: ThreatOptions) => selectThreats(kb, o).threats.map((t) => `${t.name} (${t.id})`).join(', ');
    const northKorea = expected({ originCountry: ['KP'] });
    const narrowed = expected({ originCountry: ['KP'], motivation: ['financial'] });
    kb.close();
    // The two selections differ, so the second run shows that both fields were sent.
    expect(northKorea).not.toBe(narrowed);
    expect(narrowed).not.toBe('');
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${address}/coverage`);
      await page.click('#threat-profile summary');
      await page.fill('#profile-origin-country', 'KP');
      await page.click('#run-coverage');
      await expect.poll(() => page.locator('#coverage-summary').textContent()).toMatch(new RegExp(`^${escapeRe(northKorea)}: \\d+ of \\d+ techniques`));
      await page.fill('#profile-motivation', ' financial , ');
      await page.click('#run-coverage');
      await expect.poll(() => page.locator('#coverage-summary').textContent()).toMatch(new RegExp(`^${escapeRe(narrowed)}: \\d+ of \\d+ techniques`));
    } finally {
      await context.close();
    }
  });

  it('says why a request cannot be made or was refused', async () => {
    const small = createServer({ dbPath, maxBodyBytes: 64 * 1024 });
    const url = await small.listen({ port: 0, host: '127.0.0.1' });
    const padding = `# ${'x'.repeat(40 * 1024)}\n`;
    const dir = fixtureDir({
      'a.yml': sigma('A', 'attack.t1021.004') + padding, 'b.yml': sigma('B', 'attack.t1021.004') + padding, 'layer.json': '{"techniques": [',
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${url}/coverage`);
      expect(await page.locator('#coverage-form').getAttribute('data-max-bytes')).toBe(String(64 * 1024));
      // Two files under the limit each, over it together: refused before sending.
      await page.setInputFiles('#rules-files', [join(dir, 'a.yml'), join(dir, 'b.yml')]);
      await expect.poll(() => page.locator('#rules-status').textContent()).toMatch(/^2 files ready/);
      await page.click('#run-coverage');
      await expect.poll(() => page.locator('#coverage-status').textContent()).toMatch(/^Failed: the request is \d+ KB, over this server's limit of 64 KB/);
      expect(await page.locator('#coverage-status').getAttribute('class')).toBe('error');
      // A broken technique list: the server's 400 message is shown.
      await page.setInputFiles('#rules-files', [join(dir, 'a.yml')]);
      await page.setInputFiles('#techniques-file', [join(dir, 'layer.json')]);
      await expect.poll(() => page.locator('#rules-status').textContent()).toMatch(/^1 file ready/);
      await page.click('#run-coverage');
      await expect.poll(() => page.locator('#coverage-status').textContent()).toMatch(/^Failed: technique file looks like JSON but is not valid/);
      expect(await page.locator('#coverage-result').isHidden()).toBe(true);
    } finally {
      await context.close();
      await small.close();
    }
  });
});
