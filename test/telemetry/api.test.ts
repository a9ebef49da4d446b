/** POST /api/telemetry on the real knowledge base: the same analysis as the CLI, and bad profiles as one-line 400s. */
import type { FastifyInstance } from 'fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer } from '../../src/server/app.js';
import { cli, tempDir } from '../helpers.js';

describe('POST /api/telemetry', () => {
  const dbPath = inject('kbPath');
  let app: FastifyInstance;
  beforeAll(async () => {
    app = createServer({ dbPath });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/telemetry', payload: payload as Record<string, unknown> });

  it('answers what the CLI prints for the same profile and threat', async () => {
    const profile = '- sysmon: [1, 10]\n- aws-cloudtrail\n';
    const file = join(tempDir(), 'p.yaml');
    writeFileSync(file, profile);
    const fromCli = JSON.parse(cli(['telemetry', '--group', 'G0016', '--profile', file, '--format', 'json', '--db', dbPath]).stdout) as unknown;
    const r = await post({ group: ['G0016'], profile });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.json()).toEqual(fromCli);
    const layer = await post({ group: ['G0016'], profile, format: 'layer' });
    expect(layer.json<{ techniques: { score: number }[] }>().techniques.some((t) => t.score > 0)).toBe(true);
    expect((await post({ group: ['G0016'], profile, format: 'csv' })).body.split('\r\n')[0]).toBe('id,name,detectable,runnable_rules,blocked_rules,unknown_rules,runnable,needs');
  });

  it('refuses a missing or wrong profile with one line', async () => {
    const missing = await post({ group: ['G0016'] });
    expect(missing.statusCode).toBe(400);
    const typo = await post({ group: ['G0016'], profile: '- sysmn: [1]' });
    expect(typo.statusCode).toBe(400);
    expect(typo.json<{ message: string }>().message).toBe('profile: entry 1: unknown log source "sysmn"; closest known: sysmon');
    expect((await post({ group: ['G0016'], profile: '[]', nosuch: 1 })).statusCode).toBe(400);
    expect((await post({ group: ['No Such Group'], profile: '[]' })).statusCode).toBe(400);
  });

  it('the Coverage page has the profile editor, the ranked list and the runnable-rule heatmap; its script renders with textContent', async () => {
    const page = (await app.inject({ method: 'GET', url: '/coverage' })).body;
    expect(page).toContain('<textarea id="telemetry-profile"');
    expect(page).toContain('<input id="telemetry-file" type="file"');
    expect(page).toContain('<table id="telemetry-next">');
    expect(page).toContain('class="matrix telemetry-heatmap" data-domain="enterprise-attack"');
    const ids = [...page.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length - new Set(ids).size).toBe(0);
    const js = (await app.inject({ method: 'GET', url: '/assets/coverage.js' })).body;
    expect(js).toContain('api/telemetry');
    expect(js).not.toMatch(/innerHTML|eval\(|new Function/);
  });
});
