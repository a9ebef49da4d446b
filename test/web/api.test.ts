import type { FastifyInstance } from 'fastify';
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KnowledgeBase } from '../../src/kb/open.js';
import { buildPage } from '../../src/page/build.js';
import { renderPageBody } from '../../src/render/html.js';
import { usedBy } from '../../src/site/used-by.js';
import { createServer } from '../../src/server/app.js';
import { KbHolder } from '../../src/server/holder.js';
import { DATA_DIR, REPO } from '../helpers.js';
import { expectSafeDocument } from './checks.js';
import { XSS_FLAG, hostileKb, type HostileKb } from './fixture.js';

type Json = Record<string, unknown>;

const SECURITY = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function expectSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(SECURITY)) expect(headers[k], `${what}: ${k}`).toBe(v);
  const csp = String(headers['content-security-policy']);
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).not.toContain('unsafe-inline');
  expect(csp, what).not.toContain('unsafe-eval');
}

describe('the server on the hostile fixture', () => {
  let fx: HostileKb;
  let app: FastifyInstance;
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const getJson = async (url: string) => {
    const r = await get(url);
    return { status: r.statusCode, body: r.json<Json>(), headers: r.headers };
  };

  beforeAll(async () => {
    fx = await hostileKb();
    app = createServer({ dbPath: fx.dbPath, checkIntervalMs: 0 });
    await app.ready();
  });
  afterAll(() => app.close());

  it('serves every page with its content type, CSP-clean and escaped', async () => {
    const pages: [string, string][] = [
      ['/', 'text/html'], ['/index.html', 'text/html'], ['/enterprise', 'text/html'], ['/enterprise.html', 'text/html'], ['/search', 'text/html'],
      ['/sources', 'text/html'], ['/techniques/T1021.004', 'text/html'], ['/techniques/t1021.004.html', 'text/html'],
      ['/techniques/T1021.004.md', 'text/markdown'], ['/assets/purplebook.css', 'text/css'], ['/assets/purplebook.js', 'text/javascript'],
      ['/data/search.js', 'text/javascript'], ['/data/matrix-enterprise.js', 'text/javascript'],
    ];
    for (const [url, type] of pages) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type'], url).toBe(`${type}; charset=utf-8`);
      expectSecurityHeaders(r.headers, url);
      if (type === 'text/html') expectSafeDocument(r.body, url);
    }
    const page = (await get('/techniques/T1021.004')).body;
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('<a href="T1021.004.md" type="text/markdown">Markdown</a> · <a href="../api/techniques/T1021.004" type="application/json">JSON</a>');
    expect((await get('/sources')).body).toContain('&lt;script&gt;window.__xss=&#39;warning&#39;&lt;/script&gt;');
  });

  it('a technique page is the same Page body as `show --format html`, with server links', async () => {
    const kb = KnowledgeBase.open(fx.dbPath);
    try {
      const body = renderPageBody(buildPage(kb, 'T1021.004')!, { base: '../', ext: '', usedBy: usedBy(kb, 'T1021.004'), sourcesHref: '../sources' });
      expect((await get('/techniques/T1021.004')).body).toContain(body);
      expect((await getJson('/api/techniques/t1021.004')).body).toEqual(JSON.parse(JSON.stringify(buildPage(kb, 'T1021.004'))));
      expect((await getJson('/api/techniques/T1021.004?includeDeprecated=true')).status).toBe(200);
    } finally {
      kb.close();
    }
  });

  it('serves the search index in pieces and any technique\'s details file; bad names are 400, unknown ids 404', async () => {
    const techniques = await get('/data/search-techniques.js');
    expect(techniques.statusCode).toBe(200);
    expect(techniques.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(techniques.body).toMatch(/^window\.PURPLEBOOK_SEARCH_TECHNIQUES = \{"build":/);
    const shards = JSON.parse(techniques.body.slice('window.PURPLEBOOK_SEARCH_TECHNIQUES = '.length).trim().replace(/;$/, '')) as { shards: Record<string, number>; counts: string[] };
    expect(Object.keys(shards.shards)).toContain('s');
    // A small knowledge base: nothing is cut, so no longer keys and no count files.
    expect(Object.keys(shards.shards).every((k) => k.length === 1)).toBe(true);
    expect(shards.counts).toEqual([]);
    const s = await get('/data/search/s.js');
    expect(s.body).toMatch(/^\(window\.PURPLEBOOK_SEARCH_SHARDS = window\.PURPLEBOOK_SEARCH_SHARDS \|\| \{\}\)\["s"\] = /);
    // "SSH brute force <script>…" has a word starting with s; the hostile title is data inside a JSON string.
    expect(s.body).toContain('SSH brute force <script>');
    expect((await get('/data/search/q.js')).statusCode).toBe(404);
    const words = await get('/data/search/words-s.js');
    expect(words.body).toMatch(/^\(window\.PURPLEBOOK_SEARCH_WORDS = window\.PURPLEBOOK_SEARCH_WORDS \|\| \{\}\)\["s"\] = \{"build":/);
    expect((await get('/data/search/words-q.js')).statusCode).toBe(404);
    for (const missing of ['/data/search/ss.js', '/data/search/words-ss.js', '/data/search/counts-s.js']) expect((await get(missing)).statusCode, missing).toBe(404);
    for (const bad of ['/data/search/..%2Fx.js', '/data/search/abcdefghi.js', '/data/search/S.js', '/data/search/words-.js', '/data/search/words-abcdefghi.js', '/data/search/counts-.js',
      '/data/search/uuid-zz.js', '/data/search/uuid-a.js', '/data/techniques/T1021.004.json', '/data/techniques/x.js']) {
      expect((await get(bad)).statusCode, bad).toBe(400);
    }
    const details = await get('/data/techniques/t1021.004.js');
    expect(details.statusCode).toBe(200);
    const data = JSON.parse(details.body.slice('window.PURPLEBOOK_DETAILS = '.length).trim().replace(/;$/, '')) as { id: string; sources: Record<string, { name: string; url: string | null }[]> };
    expect(data.id).toBe('T1021.004');
    expect(data.sources['evil-rules']!.map((v) => v.name).sort()).toEqual(['<img src=x onerror=alert(1)>', `SSH brute force <script>window.${XSS_FLAG}='title'</script>`].sort());
    // A javascript: link never reaches the browser as a URL.
    expect(data.sources['evil-rules']!.find((v) => v.name.startsWith('<img'))!.url).toBeNull();
    expect((await get('/data/techniques/T9999.js')).statusCode).toBe(404);
  });

  it('/api/techniques filters by domain, tactic, platform, validation class, source and status, and paginates', async () => {
    const ids = async (q: string) => ((await getJson(`/api/techniques${q}`)).body.items as { id: string }[]).map((t) => t.id);
    expect(await ids('')).toEqual(['T1021', 'T1021.004', 'T1059', 'T1059.001']);
    expect(await ids('?tactic=lateral-movement')).toEqual(['T1021', 'T1021.004']);
    expect(await ids('?tactic=TA0002')).toEqual(['T1059', 'T1059.001']);
    expect(await ids('?tactic=Lateral%20Movement&subtechniques=false')).toEqual(['T1021']);
    expect(await ids('?platform=linux&domain=enterprise')).toHaveLength(4);
    expect(await ids('?validation=both')).toEqual(['T1021.004']);
    expect(await ids(`?validation=${encodeURIComponent('detectable, no public test')}`)).toEqual(['T1059', 'T1059.001']);
    expect(await ids('?source=evil-tests')).toEqual(['T1021.004']);
    expect(await ids('?status=revoked')).toEqual(['T1086']);
    expect(await ids('?status=all')).toHaveLength(5);
    const page = await getJson('/api/techniques?limit=2&offset=1');
    expect(page.body).toMatchObject({ total: 4, offset: 1, limit: 2 });
    expect((page.body.items as Json[]).map((t) => t.id)).toEqual(['T1021.004', 'T1059']);
    expect((page.body.items as Json[])[0]).toMatchObject({
      name: 'SSH', domain: 'enterprise-attack', isSubtechnique: true, parent: 'T1021', tactics: ['lateral-movement'],
      detection_volume: 2, test_volume: 1, validation: 'testable and detectable', counts: { 'evil-rules': 2, 'evil-tests': 1 },
    });
  });

  it('caps a large limit instead of failing', async () => {
    expect((await getJson('/api/techniques?limit=100000')).body.limit).toBe(500);
    expect((await getJson('/api/techniques?limit=99999999999999999999')).body.limit).toBe(500);
    expect((await getJson('/api/search?q=ssh&limit=5000')).body.limit).toBe(100);
  });

  it('answers bad input with a 400 JSON error, never a 500', async () => {
    const bad = [
      '/api/techniques?limit=0', '/api/techniques?limit=abc', '/api/techniques?limit=-5', '/api/techniques?offset=-1', '/api/techniques?domain=mars',
      '/api/techniques?tactic=nonsense', '/api/techniques?tactic=%3Cscript%3E', '/api/techniques?platform=Amiga', '/api/techniques?validation=great',
      '/api/techniques?source=nope', '/api/techniques?source=..%2F..', '/api/techniques?status=gone', '/api/techniques?subtechniques=maybe',
      '/api/techniques/T1', '/api/techniques/1021', '/api/techniques/T1021.4', "/api/techniques/T1021'--", '/api/techniques/%3Cimg%3E',
      '/api/search', '/api/search?q=', `/api/search?q=${'a'.repeat(201)}`, '/api/search?q=x&limit=0', '/api/layers/%3Cb%3E',
      '/api/layers/validation?domain=pre', '/techniques/T1021.004.exe', '/techniques/%3Cscript%3E', '/data/other.js',
    ];
    for (const url of bad) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.headers['content-type'], url).toMatch(/^application\/json/);
      const body = r.json<Json>();
      expect(body, url).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(typeof body.message).toBe('string');
      expectSecurityHeaders(r.headers, url);
    }
  });

  it('answers an unknown id or measure with a 404, with suggestions', async () => {
    const r = await getJson('/api/techniques/T1021.005');
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('unknown technique T1021.005 in ATT&CK 18.1');
    expect(r.body.suggestions).toContain('T1021.004 (SSH)');
    expect((await getJson('/api/layers/sharks')).status).toBe(404);
    expect((await getJson('/api/layers/validation?domain=mobile')).status).toBe(404);
    expect((await get('/techniques/T9999')).statusCode).toBe(404);
    expect((await get('/mobile')).statusCode).toBe(404);
    // Browsers get an HTML error page, still CSP-clean and escaped.
    const html = await get('/techniques/T9999', { accept: 'text/html' });
    expect(html.statusCode).toBe(404);
    expectSafeDocument(html.body, '404 page');
    const nowhere = await get('/no/such/%3Cscript%3Ealert(1)%3C%2Fscript%3E', { accept: 'text/html' });
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.body).not.toContain('<script>alert');
    expectSafeDocument(nowhere.body, 'unknown path');
  });

  it('refuses path traversal: nothing but the knowledge base is ever read', async () => {
    const attempts = ['/..%2f', '/..%2f..%2fetc%2fpasswd', '/techniques/..%2f..%2fetc%2fpasswd', '/techniques/../../etc/passwd', '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json', '/data/..%2f..%2fetc%2fpasswd', '/api/techniques/..%2f..%2fetc%2fpasswd', '/api/layers/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd', '/techniques/%00', '/%', '//etc/passwd'];
    for (const url of attempts) {
      const r = await get(url);
      expect([400, 404], url).toContain(r.statusCode);
      expect(r.body, url).not.toMatch(/root:|"name": ?"purplebook"/);
    }
  });

  it('search, sources, measures, layers, health and the OpenAPI document', async () => {
    const search = await getJson('/api/search?q=ssh&limit=5');
    expect(search.status).toBe(200);
    expect((search.body.hits as { ref: string }[]).map((h) => h.ref)).toContain('T1021.004');
    const sources = await getJson('/api/sources');
    expect((sources.body.sources as { name: string; warnings: number; repository: string }[]).map((s) => [s.name, s.warnings]))
      .toEqual([['evil-rules', 1], ['evil-tests', 0]]);
    const measures = await getJson('/api/measures');
    expect((measures.body as unknown as { id: string }[]).map((m) => m.id)).toEqual(['validation', 'controls', 'detections', 'tests', 'source-evil-rules', 'source-evil-tests']);
    const layer = await getJson('/api/layers/source-evil-rules');
    expect(layer.body.versions).toEqual({ attack: '18', navigator: '5.1.0', layer: '4.5' });
    expect((layer.body.techniques as { techniqueID: string; score: number }[]).map((t) => [t.techniqueID, t.score]))
      .toEqual([['T1021', 0], ['T1021.004', 2], ['T1059', 1], ['T1059.001', 1]]);
    const health = await getJson('/healthz');
    expect(health.body).toMatchObject({ status: 'ok', attackVersion: '18.1' });
    expect(health.headers['cache-control']).toBe('no-store');

    const doc = (await getJson('/api/openapi.json')).body as { openapi: string; paths: Record<string, { get: { parameters?: { name: string; in: string; required: boolean }[] }; post?: unknown }> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/actors', '/api/coverage', '/api/layers/{measure}', '/api/lineup', '/api/measures', '/api/openapi.json', '/api/plan',
      '/api/search', '/api/sources', '/api/techniques', '/api/techniques/{id}', '/api/telemetry', '/healthz']);
    expect(doc.paths['/api/techniques']!.get.parameters!.map((p) => p.name)).toEqual(['domain', 'tactic', 'platform', 'validation', 'source', 'status', 'subtechniques', 'stack', 'limit', 'offset']);
    expect(doc.paths['/api/search']!.get.parameters!.find((p) => p.name === 'q')!.required).toBe(true);
    // Every documented path answers (with sample values for its path parameters).
    for (const [path, item] of Object.entries(doc.paths)) {
      if (item.post) {
        const r = await app.inject({ method: 'POST', url: path, payload: { techniques: ['T1021.004'], ...(path === '/api/telemetry' ? { profile: '[]' } : {}) } });
        expect(r.statusCode, path).toBe(200);
        continue;
      }
      const url = path.replace('{id}', 'T1021.004').replace('{measure}', 'validation') + (path === '/api/search' ? '?q=ssh' : path === '/api/actors' ? '?q=x' : '');
      expect((await get(url)).statusCode, url).toBe(200);
    }
  });

  it('ETag from the build id and the path: a repeat is a 304, a rebuild changes it', async () => {
    const first = await get('/techniques/T1021.004');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"[0-9a-f]{16}-[\w-]{16}"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect((await get('/techniques/T1021')).headers.etag).not.toBe(etag);
    const again = await get('/techniques/T1021.004', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await get('/assets/purplebook.css')).headers['cache-control']).toBe('public, max-age=3600');
  });

  it('compresses with brotli or gzip as the client accepts', async () => {
    const plain = await get('/techniques/T1021.004');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await get('/techniques/T1021.004', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('Accept-Encoding');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain.body);
    const gz = await get('/techniques/T1021.004', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
    const noBr = await get('/assets/purplebook.js', { 'accept-encoding': 'br;q=0, gzip' });
    expect(noBr.headers['content-encoding']).toBe('gzip');
  });

  it('reopens the knowledge base when `build` renames a new one over it, and keeps serving a broken replacement', async () => {
    const before = await getJson('/api/techniques/T1021.004');
    expect(before.body.name).toBe('SSH');
    const etag = String((await get('/techniques/T1021.004')).headers.etag);
    await fx.rebuild('Secure Shell');
    const after = await getJson('/api/techniques/T1021.004');
    expect(after.body.name).toBe('Secure Shell');
    const page = await get('/techniques/T1021.004', { 'if-none-match': etag });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>T1021.004: Secure Shell</h1>');

    // A file that is not a knowledge base lands on the path: the previous build keeps being served.
    const junk = `${fx.dbPath}.junk`;
    writeFileSync(junk, 'not a database');
    renameSync(junk, fx.dbPath);
    const still = await getJson('/api/techniques/T1021.004');
    expect(still.status).toBe(200);
    expect(still.body.name).toBe('Secure Shell');
    await fx.rebuild('SSH');
    expect((await getJson('/api/techniques/T1021.004')).body.name).toBe('SSH');
  });
});

describe('the knowledge-base holder', () => {
  it('swaps to a rebuilt file and closes the old one only after its last request', async () => {
    const fx = await hostileKb();
    const holder = new KbHolder(fx.dbPath, { checkIntervalMs: 0 });
    const inFlight = holder.acquire();
    await fx.rebuild('Secure Shell');
    const next = holder.acquire();
    expect(next).not.toBe(inFlight);
    expect(next.buildId).not.toBe(inFlight.buildId);
    // The request that started on the old build finishes on it.
    expect(inFlight.kb.technique('T1021.004')!.name).toBe('SSH');
    expect(inFlight.kb.db.open).toBe(true);
    holder.release(inFlight);
    expect(inFlight.kb.db.open).toBe(false);
    expect(next.kb.technique('T1021.004')!.name).toBe('Secure Shell');
    holder.release(next);
    holder.close();
    expect(next.kb.db.open).toBe(false);
  });

  it('fails fast when there is no knowledge base', () => {
    expect(() => createServer({ dbPath: '/nonexistent/purplebook.db' })).toThrow(/no knowledge base/);
  });
});

describe('the server on the real data', () => {
  const dbPath = inject('kbPath');
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = createServer({ dbPath });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('listens on 127.0.0.1 and serves over real HTTP', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const page = await fetch(`${base}/techniques/T1021.004`, { headers: { 'accept-encoding': 'br' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>T1021.004: SSH</h1>');
  });

  it('answers every request while the knowledge base is swapped under it', async () => {
    const fx = await hostileKb();
    const local = createServer({ dbPath: fx.dbPath, checkIntervalMs: 0 });
    const url = await local.listen({ port: 0, host: '127.0.0.1' });
    try {
      const statuses: Promise<number>[] = [];
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 50; i++) statuses.push(fetch(`${url}/api/techniques/T1021.004`).then((r) => r.status));
        await fx.rebuild(round % 2 ? 'SSH' : 'Secure Shell');
      }
      expect(new Set(await Promise.all(statuses))).toEqual(new Set([200]));
    } finally {
      await local.close();
    }
  });

  it('lists every active ICS technique, counted from the bundle itself', async () => {
    const objs = (JSON.parse(readFileSync(join(DATA_DIR, 'attack', 'ics-attack.json'), 'utf8')) as { objects: Json[] }).objects;
    const active = objs.filter((o) => o.type === 'attack-pattern' && !o.revoked && !o.x_mitre_deprecated).length;
    const r = await (await fetch(`${base}/api/techniques?domain=ics&limit=1`)).json() as Json;
    expect(r.total).toBe(active);
  });

  it('the layer of a measure scores every technique as its page does', async () => {
    const layer = await (await fetch(`${base}/api/layers/detections`)).json() as { techniques: { techniqueID: string; score: number }[] };
    const kb = KnowledgeBase.open(dbPath);
    try {
      for (const id of ['T1021.004', 'T1059.001', 'T1003', 'T1566.001']) {
        expect(layer.techniques.find((t) => t.techniqueID === id)!.score, id).toBe(buildPage(kb, id)!.summary.detection_volume);
      }
    } finally {
      kb.close();
    }
  });
});

describe('`purplebook serve`', () => {
  it('binds to 127.0.0.1, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'serve', '--port', '0', '--db', inject('kbPath')], { env: { ...process.env, CI: 'true' } });
    let stderr = '';
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address: ${stderr}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /at (http:\/\/[^ ]+)\/ /.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${address}/healthz`)).status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('rejects a bad port as bad input', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'serve', '--port', '99999', '--db', inject('kbPath')]);
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
  });
});
