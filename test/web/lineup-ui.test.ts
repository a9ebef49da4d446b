/**
 * The line-up page in a real browser (Debian's chromium through playwright-core): APT29 with every
 * source, then a control stack chosen with the checkboxes; the totals and the heatmap change to
 * what the tables say for that stack, and the URL alone reproduces the view. Also /api/lineup and
 * the stack filter of /api/techniques, which compute the same.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Lineup } from '../../src/coverage/lineup.js';
import { createServer } from '../../src/server/app.js';
import { groupScope, openDb, type Db } from '../coverage/sql.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const CLASS_KEYS = ['neither', 'testable, no public detection', 'detectable, no public test', 'testable and detectable'];

const classKey = (detections: number, tests: number) => `v${CLASS_KEYS.indexOf(
  detections && tests ? 'testable and detectable' : detections ? 'detectable, no public test' : tests ? 'testable, no public detection' : 'neither')}`;

/** Non-deprecated resources of one source on each technique. */
function countsOf(db: Db, source: string): Map<string, number> {
  return new Map((db.prepare(`SELECT m.technique, COUNT(*) AS n FROM mappings m JOIN resources r ON r.id = m.resource
    WHERE r.source = ? AND r.deprecated = 0 GROUP BY m.technique`).all(source) as { technique: string; n: number }[]).map((x) => [x.technique, x.n]));
}

async function totals(page: Page): Promise<Record<string, string | undefined>> {
  return page.locator('#lineup-totals').evaluate((e) => ({ ...(e as HTMLElement).dataset }));
}

/** Colour key of every painted heatmap cell, by technique id. */
async function heatmap(page: Page): Promise<Record<string, string>> {
  return page.locator('#lineup-heatmap li.cell[data-tid]').evaluateAll((els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.tid!, (e as HTMLElement).dataset.c!])));
}

describe.skipIf(!HAVE_CHROMIUM)('the line-up page in a browser', () => {
  const dbPath = inject('kbPath');
  let browser: Browser;
  let app: FastifyInstance;
  let address: string;
  let db: Db;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    app = createServer({ dbPath });
    address = await app.listen({ port: 0, host: '127.0.0.1' });
    db = openDb(dbPath);
  });

  afterAll(async () => {
    db?.close();
    await browser?.close();
    await app?.close();
  });

  it('choosing a stack changes the heatmap and the totals, and the URL reproduces the view', async () => {
    const scope = groupScope(db, 'G0016');
    const sigma = countsOf(db, 'sigma');
    const atomic = countsOf(db, 'atomic-red-team');
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    try {
      await page.goto(`${address}/lineup`);
      expect(await page.locator('#lineup-result').count()).toBe(0);
      await page.fill('#lineup-group', 'Cozy Bear');
      await page.selectOption('#lineup-sort', 'rules');
      await Promise.all([page.waitForURL(/\/lineup\?/), page.click('#run-lineup')]);
      // Every checkbox starts checked: every loaded source counts.
      const boxes = page.locator('#stack-choice input[type="checkbox"][name="stack"]');
      const loaded = db.prepare('SELECT COUNT(*) FROM sources WHERE loaded = 1').pluck().get() as number;
      expect(await boxes.count()).toBe(loaded);
      expect(await boxes.evaluateAll((els) => els.every((e) => (e as HTMLInputElement).checked))).toBe(true);
      expect(await page.locator('#stack-choice fieldset.stack-pillar legend').allTextContents())
        .toEqual(['Policy / Process Controls', 'Technical Controls (Detection Rules)', 'Offensive Security Tests']);
      const before = await totals(page);
      const cellsBefore = await heatmap(page);
      expect(Number(before.techniques)).toBe(scope.length);
      expect(Number(before.controls)).toBeGreaterThan(0);
      expect(Object.entries(cellsBefore).filter(([, c]) => c !== 'm0').map(([id]) => id).sort()).toEqual(scope);

      // Keep Sigma and Atomic Red Team only.
      await boxes.evaluateAll((els) => els.forEach((e) => {
        (e as HTMLInputElement).checked = false;
      }));
      await page.check('#stack-sigma');
      await page.check('#stack-atomic-red-team');
      await Promise.all([page.waitForURL(/stack=sigma/), page.click('#run-lineup')]);
      const url = page.url();
      expect(new URL(url).searchParams.getAll('stack')).toEqual(['sigma', 'atomic-red-team']);
      expect(new URL(url).searchParams.get('sort')).toBe('rules');

      const after = await totals(page);
      expect(after).toEqual({
        techniques: String(scope.length), controls: '0', rules: String(scope.reduce((n, id) => n + (sigma.get(id) ?? 0), 0)),
        tests: String(scope.reduce((n, id) => n + (atomic.get(id) ?? 0), 0)), guidance: '0',
      });
      expect(after).not.toEqual(before);
      const cellsAfter = await heatmap(page);
      for (const id of scope) expect(cellsAfter[id], id).toBe(classKey(sigma.get(id) ?? 0, atomic.get(id) ?? 0));
      expect(cellsAfter).not.toEqual(cellsBefore);
      expect(await page.locator('#lineup-headline').textContent()).toMatch(/^Sorted by executable detection rules of the control stack sigma, atomic-red-team/);
      // The table: by Sigma rules, most first, with the per-source detail.
      const firstRules = await page.locator('#lineup-table tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.children[4]!.textContent)));
      expect(firstRules).toEqual([...firstRules].sort((a, b) => b - a));
      expect(firstRules[0]).toBe(Math.max(...scope.map((id) => sigma.get(id) ?? 0)));

      // The URL alone gives the same view, boxes included.
      const again = await context.newPage();
      await again.goto(url);
      expect(await totals(again)).toEqual(after);
      expect(await heatmap(again)).toEqual(cellsAfter);
      expect(await again.locator('#stack-sigma').isChecked()).toBe(true);
      expect(await again.locator('#stack-d3fend').isChecked()).toBe(false);
      expect(await again.locator('#lineup-group').inputValue()).toBe('Cozy Bear');

      // A bad stack in the URL: the form again, with the reason, and a 400.
      const bad = await again.goto(`${address}/lineup?group=G0016&stack=sigma&stack=nope`);
      expect(bad?.status()).toBe(400);
      expect(await again.locator('#lineup-error').textContent()).toMatch(/unknown source "nope"; valid sources: .*sigma/);
      expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('/api/lineup and /api/techniques?stack= count the same', async () => {
    const res = await fetch(`${address}/api/lineup?group=G0016&stack=sigma,atomic-red-team&sort=tests&lowestLevel=true`);
    expect(res.status).toBe(200);
    const l = (await res.json()) as Lineup;
    const atomic = countsOf(db, 'atomic-red-team');
    const sigma = countsOf(db, 'sigma');
    const tests = l.rows.map((r) => r.tests);
    expect(tests).toEqual(l.rows.map((r) => atomic.get(r.id) ?? 0));
    expect(tests).toEqual([...tests].sort((a, b) => b - a));
    expect(l.lowestLevel).toBe(true);
    const csv = await (await fetch(`${address}/api/lineup?group=G0016&stack=sigma&stack=atomic-red-team&sort=tests&lowestLevel=true&format=csv`)).text();
    expect(csv.split('\r\n')[0]).toBe('rank,id,name,tactics,threats,score,controls,rules,tests,total,guidance,validation,sigma,atomic-red-team');
    expect(csv.trimEnd().split('\r\n')).toHaveLength(l.rows.length + 1);

    const list = (await (await fetch(`${address}/api/techniques?domain=enterprise&validation=detect-only&stack=sigma,atomic-red-team&limit=500`)).json()) as {
      total: number; items: { id: string; counts: Record<string, number>; detection_volume: number; test_volume: number }[];
    };
    const expected = (db.prepare("SELECT id FROM techniques WHERE status = 'active' AND domain = 'enterprise-attack' ORDER BY id").pluck().all() as string[])
      .filter((id) => (sigma.get(id) ?? 0) > 0 && !atomic.get(id));
    expect(list.items.map((t) => t.id)).toEqual(expected);
    expect(Object.keys(list.items[0]!.counts)).toEqual(['sigma', 'atomic-red-team']);
    // The coverage and plan bodies take the stack too.
    const cov = (await (await fetch(`${address}/api/coverage`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ group: ['G0016'], stack: ['sigma,atomic-red-team'] }),
    })).json()) as { stack: unknown; techniques: { id: string; detectionVolume: number; testVolume: number; policyVolume: number }[] };
    expect(cov.stack).toEqual({ name: null, sources: ['sigma', 'atomic-red-team'] });
    for (const t of cov.techniques) expect([t.detectionVolume, t.testVolume, t.policyVolume], t.id).toEqual([sigma.get(t.id) ?? 0, atomic.get(t.id) ?? 0, 0]);
    const plan = (await (await fetch(`${address}/api/plan`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ group: ['G0016'], stack: ['sigma'] }),
    })).json()) as { tactics: { techniques: { id: string; tests: unknown[]; publicDetections: number }[] }[] };
    for (const t of plan.tactics.flatMap((x) => x.techniques)) expect([t.tests.length, t.publicDetections], t.id).toEqual([0, sigma.get(t.id) ?? 0]);
    expect((await fetch(`${address}/api/plan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ group: ['G0016'], stack: ['nope'] }) })).status).toBe(400);

    // What the user typed comes back escaped, in the field and in the error.
    const hostile = '"><img src=x onerror=alert(1)>';
    const page = await app.inject(`/lineup?group=${encodeURIComponent(hostile)}`);
    expect(page.statusCode).toBe(400);
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    const badStack = await fetch(`${address}/api/techniques?stack=sigma,nope`);
    expect(badStack.status).toBe(400);
    expect(((await badStack.json()) as { message: string }).message).toMatch(/unknown source "nope"/);
  });
});
