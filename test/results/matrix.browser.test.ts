/**
 * The results measure in a real browser (Debian's chromium through playwright-core): on the server
 * (`serve --results`) a recorded outcome colours its cell, names itself in the cell and the legend,
 * and the layer link points to the results layer; no console error (CSP included).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RESULT_LEVELS } from '../../src/results/matrix.js';
import { createServer } from '../../src/server/app.js';
import { parseTokens } from '../../src/server/results.js';
import { tempDir } from '../helpers.js';
import { atomicTests, daysAgo } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = '0123456789abcdef0123456789abcdef';

/** `#rrggbb` as the browser's computed `rgb(r, g, b)`. */
const rgbOf = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

describe.skipIf(!existsSync(CHROMIUM))('the results measure in a browser', () => {
  let app: FastifyInstance;
  let address: string;
  let browser: Browser;

  beforeAll(async () => {
    app = createServer({ dbPath: inject('kbPath'), results: { file: join(tempDir(), 'results.db'), tokens: parseTokens(`${TOKEN}\n`) } });
    address = await app.listen({ port: 0, host: '127.0.0.1' });
    const r = await app.inject({
      method: 'POST', url: '/api/results', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      payload: JSON.stringify({ records: [{ technique: 'T1059.001', test: atomicTests('T1059.001')[0]!.guid, outcome: 'prevented', host: 'ws01', start: daysAgo(1, 9).toISOString() }] }),
    });
    expect(r.statusCode, r.body).toBe(201);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('colour by "Results": the cell says prevented in its colour, the legend lists every level, the layer link follows', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${address}/enterprise`);
    await expect.poll(() => page.locator('#legend li').count()).toBeGreaterThan(1);
    await page.selectOption('#measure', 'results');
    expect(await page.locator('#legend-measure').textContent()).toBe('Results (best outcome)');
    expect(await page.locator('#legend li').allTextContents()).toEqual(['no result', 'stale (every result older than 180 days)', 'not-run', 'blocked', 'not-detected', 'ran', 'logged', 'alerted', 'prevented']);
    const prevented = RESULT_LEVELS.find((l) => l.label === 'prevented')!;
    const cell = page.locator('li.cell[data-tid="T1059.001"]').first();
    expect(await cell.getAttribute('data-c')).toBe(prevented.key);
    expect(await cell.locator(':scope > .score .val').textContent()).toBe('prevented');
    expect(await cell.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(rgbOf(prevented.fill));
    const other = page.locator('li.cell[data-tid="T1021.004"]').first();
    expect(await other.locator(':scope > .score .val').textContent()).toBe('none');
    expect(await page.locator('#layer-link').getAttribute('href')).toMatch(/api\/layers\/results\?domain=enterprise$/);
    expect(page.url()).toContain('#measure=results');
    expect(errors).toEqual([]);
    await page.close();
  });
});
