/**
 * The `results` measure of the server's matrix and layers (`serve --results`) on the real
 * knowledge base: every cell's value names the best fresh outcome recorded for it (stale after
 * --max-age), computed per request; the results layer passes the Navigator 4.5 schema; the write
 * routes are in /api/openapi.json with every refusal they answer; their limits are `--limit` names.
 */
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawAttack } from '../attack-raw.js';
import { LAYER_SCHEMA_4_5, semanticErrors, validate } from '../coverage/layer-schema.js';
import { RESULT_LEVELS } from '../../src/results/matrix.js';
import { createServer } from '../../src/server/app.js';
import { parseTokens } from '../../src/server/results.js';
import { cli, tempDir } from '../helpers.js';
import { atomicCsv, atomicTests, daysAgo } from './fixtures.js';

const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';

interface MatrixMeasure { id: string; kind: string; legend: { key: string; label: string }[]; short?: string[] }
interface MatrixData { measures: MatrixMeasure[]; values: Record<string, number[]> }
interface Layer { techniques: { techniqueID: string; score?: number; comment?: string; color?: string }[]; gradient: { minValue: number; maxValue: number } }

/** The data file is a script assigning one global: its JSON. */
const matrixOf = (script: string): MatrixData => JSON.parse(script.replace(/^window\.PURPLEBOOK_MATRIX = /, '').replace(/;\n$/, '')) as MatrixData;

/** What one technique's cell says under the results measure (its legend label and its text). */
function cellOf(data: MatrixData, id: string): { label: string; text: string; key: string } {
  const i = data.measures.findIndex((m) => m.id === 'results');
  const m = data.measures[i]!;
  const v = data.values[id]![i]!;
  return { label: m.legend[v]!.label, text: m.short![v]!, key: m.legend[v]!.key };
}

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

it('every results colour keeps its cell text at WCAG AA contrast (4.5:1)', () => {
  for (const l of RESULT_LEVELS) expect(contrast(l.fill, l.text), `${l.label}: ${l.text} on ${l.fill}`).toBeGreaterThanOrEqual(4.5);
});

describe('serve --results: the results measure of the matrix and the layers', () => {
  const kbPath = inject('kbPath');
  const dir = tempDir();
  const file = join(dir, 'results.db');
  const replacement = rawAttack().resolve('T1562.001')[0]!;
  let app: FastifyInstance;

  beforeAll(async () => {
    app = createServer({ dbPath: kbPath, results: { file, tokens: parseTokens(`alice ${TOKEN}\n`), maxAgeDays: 90 } });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (body: unknown) => app.inject({
    method: 'POST', url: '/api/results', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, payload: JSON.stringify(body),
  } as InjectOptions);
  const rec = (technique: string, folder: string, days: number, outcome: string, rule?: string) => ({
    technique, test: atomicTests(folder)[0]!.guid, outcome, host: 'ws01', start: daysAgo(days, 9).toISOString(), ...(rule ? { rule } : {}),
  });
  const matrix = async () => {
    const r = await app.inject({ method: 'GET', url: '/data/matrix-enterprise.js' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    return matrixOf(r.body);
  };

  it('every cell names the best fresh outcome; stale after --max-age; a later record shows at once', async () => {
    const before = await matrix();
    const m = before.measures.find((x) => x.id === 'results')!;
    expect(m.kind).toBe('outcome');
    expect(m.legend.map((l) => l.label)).toEqual(['no result', 'stale (every result older than 90 days)', 'not-run', 'blocked', 'not-detected', 'ran', 'logged', 'alerted', 'prevented']);
    // Nothing recorded yet: every active enterprise technique says so.
    const ids = Object.keys(before.values);
    expect(ids.length).toBeGreaterThan(600);
    expect(ids.every((id) => cellOf(before, id).label === 'no result')).toBe(true);

    const r = await post({
      records: [
        rec('T1059.001', 'T1059.001', 3, 'not-detected'), rec('T1059.001', 'T1059.001', 2, 'alerted', 'PS Mimikatz'),
        rec('T1003.002', 'T1003.002', 5, 'prevented'),
        rec('T1053.005', 'T1053.005', 5, 'logged'),
        // Older than the 90-day window: stale, however good it was.
        rec('T1105', 'T1105', 120, 'prevented'),
        // A fresh "ran" beats a stale "prevented" of the same technique.
        rec('T1047', 'T1047', 200, 'prevented'), rec('T1047', 'T1047', 1, 'ran'),
        // Logged under an id ATT&CK 19 revoked: the replacing technique's cell.
        rec('T1562.001', replacement, 4, 'prevented'),
      ],
    });
    expect(r.statusCode, r.body).toBe(201);
    const after = await matrix();
    const expected: Record<string, string> = {
      'T1059.001': 'alerted', 'T1003.002': 'prevented', 'T1053.005': 'logged', T1047: 'ran', [replacement]: 'prevented', T1105: 'stale (every result older than 90 days)',
    };
    for (const [id, label] of Object.entries(expected)) expect(cellOf(after, id).label, id).toBe(label);
    expect(cellOf(after, 'T1105').text).toBe('stale');
    expect(ids.filter((id) => cellOf(after, id).label !== 'no result').sort()).toEqual(Object.keys(expected).sort());
    // The other measures are the build's, unchanged.
    const rest = (d: MatrixData) => Object.fromEntries(Object.entries(d.values).map(([id, v]) => [id, v.slice(0, -1)]));
    expect(rest(after)).toEqual(rest(before));

    await post({ records: [rec('T1053.005', 'T1053.005', 5, 'prevented')] });
    expect(cellOf(await matrix(), 'T1053.005').label).toBe('prevented');
  });

  it('the matrix page offers the measure with its layer; /api/measures lists it; the page has a colour for every level', async () => {
    const page = await app.inject({ method: 'GET', url: '/enterprise', headers: { accept: 'text/html' } });
    expect(page.body).toContain('<option value="results">Results (best outcome)</option>');
    expect(page.body).toMatch(/data-measures="[^"]*\bresults\b/);
    const measures = (await app.inject({ method: 'GET', url: '/api/measures' })).json<{ id: string }[]>();
    expect(measures.map((m) => m.id)).toContain('results');
    const css = (await app.inject({ method: 'GET', url: '/assets/purplebook.css' })).body;
    const data = await matrix();
    for (const l of data.measures.find((m) => m.id === 'results')!.legend) expect(css).toContain(`[data-c="${l.key}"] {`);
    // The start page lists the results layer beside the four fixed ones.
    const start = (await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } })).body;
    expect(start).toContain('<a href="api/layers/validation?domain=enterprise" download>validation</a>');
    expect(start).toContain('<a href="api/layers/results?domain=enterprise" download>results</a>');
  });

  it('/api/layers/results: Navigator 4.5 valid, scored like the matrix (1 not-run … 7 prevented, 0 none or stale), never cached', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/layers/results?domain=enterprise' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const layer = r.json<Layer>();
    expect([...validate(LAYER_SCHEMA_4_5, layer), ...semanticErrors(layer)]).toEqual([]);
    const byId = new Map(layer.techniques.map((t) => [t.techniqueID, t]));
    expect(byId.get('T1059.001')!.score).toBe(6);
    expect(byId.get('T1003.002')!.score).toBe(7);
    expect(byId.get(replacement)!.score).toBe(7);
    expect(byId.get('T1047')!.score).toBe(4);
    expect(byId.get('T1105')).toMatchObject({ score: 0, comment: expect.stringContaining('older than 90 days') });
    expect(byId.get('T1021')).toMatchObject({ score: 0, comment: 'no result recorded' });
    const data = await matrix();
    // The layer and the matrix agree on every technique with an outcome.
    for (const t of layer.techniques) {
      const label = cellOf(data, t.techniqueID).label;
      if ((t.score ?? 0) > 0) expect(label, t.techniqueID).toBe(['not-run', 'blocked', 'not-detected', 'ran', 'logged', 'alerted', 'prevented'][t.score! - 1]);
      else expect(['no result', 'stale (every result older than 90 days)'], t.techniqueID).toContain(label);
    }
  });

  it('a server without --results has no results measure', async () => {
    const plain = createServer({ dbPath: kbPath });
    try {
      expect((await plain.inject({ method: 'GET', url: '/api/layers/results?domain=enterprise' })).statusCode).toBe(404);
      expect(matrixOf((await plain.inject({ method: 'GET', url: '/data/matrix-enterprise.js' })).body).measures.map((m) => m.id)).not.toContain('results');
      expect((await plain.inject({ method: 'GET', url: '/enterprise' })).body).not.toContain('value="results"');
      expect((await plain.inject({ method: 'GET', url: '/' })).body).not.toContain('api/layers/results');
    } finally {
      await plain.close();
    }
  });
});

describe('the results write routes in /api/openapi.json, and their limits', () => {
  const kbPath = inject('kbPath');
  const dir = tempDir();
  const file = join(dir, 'results.db');
  const limits = { maxResultsBodyBytes: 4000, maxResultsRecords: 3, maxResultsUploadBytes: 20_000 };
  let app: FastifyInstance;

  beforeAll(async () => {
    app = createServer({ dbPath: kbPath, results: { file, tokens: parseTokens(`${TOKEN}\n`) }, limits });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  interface Operation {
    security?: unknown[];
    requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } };
    responses: Record<string, { description: string; content?: { 'application/json': { schema: { required?: string[] } } } }>;
  }
  const doc = async () => (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
    paths: Record<string, { post?: Operation; get?: { parameters?: { name: string; description?: string }[] } }>; components?: { securitySchemes?: Record<string, unknown> };
  }>();

  const mimikatz = atomicTests('T1059.001').find((t) => t.name === 'Mimikatz')!;
  const record = { technique: 'T1059.001', test: mimikatz.guid, outcome: 'ran', host: 'ws09', start: daysAgo(1, 8).toISOString() };
  const send = (url: string, payload: string, headers: Record<string, string> = {}) => app.inject({
    method: 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
  } as InjectOptions);

  /** For each documented status of a route, a request that gets it. */
  const requests: Record<string, Record<string, () => ReturnType<typeof send>>> = {
    '/api/results': {
      201: () => send('/api/results', JSON.stringify({ exercise: 'Doc check', records: [record] })),
      400: () => send('/api/results', JSON.stringify({ records: [record, record, record, record] })),
      401: () => send('/api/results', JSON.stringify({ records: [record] }), { authorization: `Bearer ${TOKEN.replace('f', 'e')}` }),
      403: () => send('/api/results', JSON.stringify({ records: [record] }), { origin: 'https://attacker.example' }),
      413: () => send('/api/results', JSON.stringify({ records: [{ ...record, note: 'n'.repeat(1990) }, { ...record, note: 'n'.repeat(1990) }] })),
      415: () => send('/api/results', JSON.stringify({ records: [record] }), { 'content-type': 'text/plain' }),
    },
    '/api/results/import': {
      200: () => send('/api/results/import', JSON.stringify({ name: 'log.csv', content: atomicCsv([{ technique: 'T1047', test: atomicTests('T1047')[0]!, host: 'ws10', user: 'eve', start: daysAgo(1, 9) }]) })),
      400: () => send('/api/results/import', JSON.stringify({ name: 'x.csv', content: 'not,a,log\n1,2,3\n' })),
      401: () => send('/api/results/import', JSON.stringify({ name: 'x.csv', content: 'x' }), { authorization: '' }),
      403: () => send('/api/results/import', JSON.stringify({ name: 'x.csv', content: 'x' }), { 'sec-fetch-site': 'cross-site' }),
      413: () => send('/api/results/import', JSON.stringify({ name: 'x.csv', content: 'x'.repeat(limits.maxResultsUploadBytes + 64 * 1024) })),
      415: () => send('/api/results/import', 'name=x.csv', { 'content-type': 'application/x-www-form-urlencoded' }),
    },
  };

  /**
   * Statuses that need the parser thread held or slowed: each is answered by a real server in
   * upload-worker.test.ts (over parseBudgetMs: 422; more imports than the thread and its queue: 503).
   */
  const provenElsewhere: Record<string, string[]> = { '/api/results': [], '/api/results/import': ['422', '503'] };

  it('documents both write routes with the bearer scheme, the limits as given, and exactly the statuses they answer', async () => {
    const d = await doc();
    expect(d.components?.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    const results = d.paths['/api/results']!.post!;
    const schema = results.requestBody.content['application/json'].schema as { properties: { records: { maxItems: number; items: Record<string, unknown> } }; additionalProperties: boolean };
    expect(schema.properties.records.maxItems).toBe(limits.maxResultsRecords);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.records.items.additionalProperties).toBe(false);
    const upload = d.paths['/api/results/import']!.post!;
    expect((upload.requestBody.content['application/json'].schema as { properties: { content: { maxLength: number } } }).properties.content.maxLength).toBe(limits.maxResultsUploadBytes);
    // OpenAPI 3.0 has no propertyNames: the document never uses it.
    expect(JSON.stringify(d)).not.toContain('propertyNames');
    expect(d.paths['/api/layers/{measure}']!.get!.parameters!.find((p) => p.name === 'measure')!.description).toContain('results');

    for (const [path, byStatus] of Object.entries(requests)) {
      const op = d.paths[path]!.post!;
      expect(op.security, path).toEqual([{ bearer: [] }]);
      expect(Object.keys(op.responses).sort(), path).toEqual([...Object.keys(byStatus), ...provenElsewhere[path]!].sort());
      for (const status of provenElsewhere[path]!) expect(op.responses[status]!.description, `${path} ${status}`).toMatch(/parseBudgetMs|maxQueuedParses/);
      for (const [status, request] of Object.entries(byStatus)) {
        const r = await request();
        expect(r.statusCode, `${path} ${status}: ${r.body}`).toBe(Number(status));
        const body = r.json<Record<string, unknown>>();
        // Every field the document says a response has, it has.
        for (const field of op.responses[status]!.content?.['application/json'].schema.required ?? []) expect(body, `${path} ${status} ${field}`).toHaveProperty(field);
      }
    }
  });

  it('the limits name themselves when hit', async () => {
    const big = await requests['/api/results']![413]!();
    expect(big.json<{ message: string }>().message).toMatch(/^the body is \d+ bytes, over the 4000-byte limit \(maxResultsBodyBytes\)$/);
    const upload = await requests['/api/results/import']![413]!();
    expect(upload.json<{ message: string }>().message).toContain(`over the ${limits.maxResultsUploadBytes + 64 * 1024}-byte limit (maxResultsUploadBytes`);
    expect((await requests['/api/results']![400]!()).json<{ message: string }>().message).toContain('must NOT have more than 3 items');
  });

  it('a read-only server documents no write route; serve --limit knows the results limits', async () => {
    const ro = createServer({ dbPath: kbPath, results: { file } });
    try {
      const d = (await ro.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, unknown>; components?: unknown }>();
      expect(Object.keys(d.paths).filter((p) => p.startsWith('/api/results'))).toEqual([]);
      expect(d.components).toBeUndefined();
    } finally {
      await ro.close();
    }
    const bad = cli(['serve', '--port', '0', '--db', kbPath, '--limit', 'maxResultsRecords=0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('positive whole number');
    const unknown = cli(['serve', '--port', '0', '--db', kbPath, '--limit', 'maxResultRecords=5']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/NAME one of .*maxResultsBodyBytes, maxResultsRecords, maxResultsUploadBytes/);
  });
});
