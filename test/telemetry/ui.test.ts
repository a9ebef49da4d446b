/**
 * The Coverage page's telemetry part in a real browser (Debian's chromium through playwright-core):
 * a profile typed in the editor, the ranked list and the runnable-rule heatmap, compared with
 * what the API answers for the same request.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer } from '../../src/server/app.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('What can we run? on the Coverage page', () => {
  const dbPath = inject('kbPath');
  let browser: Browser;
  let app: FastifyInstance;
  let address: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    app = createServer({ dbPath });
    address = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('matches a typed profile against APT29: summary, ranked list and heatmap as the API answers', async () => {
    const profile = '- sysmon: [1, 3]\n- windows-security: [4688]\n';
    const api = (await app.inject({ method: 'POST', url: '/api/telemetry', payload: { group: ['G0016'], profile } })).json<{
      summary: { detectable: number; techniques: number }; next: { profileEntry: string }[]; techniques: { id: string; runnable: unknown[]; blocked: unknown[] }[];
    }>();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${address}/coverage`);
      await page.locator('#threat-input').pressSequentially('G0016', { delay: 10 });
      await page.locator('#threat-options li').first().waitFor();
      await page.keyboard.press('Enter');
      await page.fill('#telemetry-profile', profile);
      await page.click('#run-telemetry');
      await page.locator('#telemetry-result').waitFor({ state: 'visible', timeout: 60_000 });
      expect(await page.locator('#telemetry-summary').textContent()).toContain(`${api.summary.detectable} / ${api.summary.techniques} techniques detectable`);
      expect(await page.locator('#telemetry-next tbody tr td:nth-child(3)').allTextContents()).toEqual(api.next.slice(0, 25).map((n) => n.profileEntry));
      const grid = page.locator('.telemetry-heatmap[data-domain="enterprise-attack"]');
      for (const t of api.techniques.filter((x) => !x.id.includes('.')).slice(0, 10)) {
        const cell = grid.locator(`li.cell[data-tid="${t.id}"]`).first();
        expect(await cell.getAttribute('data-c'), t.id).toBe(t.runnable.length ? 'v3' : t.blocked.length ? 'v1' : 'v0');
        expect(await cell.locator(':scope > .score .val').textContent()).toBe(t.runnable.length ? String(t.runnable.length) : t.blocked.length ? '0' : 'none');
      }
      // A mistake in the profile is said on the page, in one line.
      await page.fill('#telemetry-profile', '- sysmn: [1]');
      await page.click('#run-telemetry');
      await expect.poll(() => page.locator('#coverage-status').textContent()).toContain('unknown log source "sysmn"; closest known: sysmon');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
