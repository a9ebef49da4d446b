/**
 * `serve --results --token-file` on the real knowledge base: writes refused without a valid token
 * (401), from another origin (403), as anything but JSON (415), above the size limit (413) or not
 * matching the schema (400, nothing written); a valid record is stored and shown on the technique
 * page; uploads import logs; tokens never reach the log; parallel writers (HTTP clients and a CLI
 * import into the same file) lose nothing.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_API_BODY_BYTES, MAX_UPLOAD_BYTES } from '../../src/results/limits.js';
import { ResultsStore } from '../../src/results/store.js';
import { createServer } from '../../src/server/app.js';
import { parseTokens } from '../../src/server/results.js';
import { REPO, cli, tempDir } from '../helpers.js';
import { atomicCsv, atomicTests, daysAgo, type AtomicRun } from './fixtures.js';

const ALICE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BOB = 'Zz9-Yy8_Xx7.Ww6~Vv5Uu4';
const TOKENS = `# who may write\nalice ${ALICE}\nbob ${BOB}\n`;

describe('POST /api/results and /api/results/import', () => {
  const kbPath = inject('kbPath');
  const dir = tempDir();
  const file = join(dir, 'results.db');
  const log: string[] = [];
  let app: FastifyInstance;
  const mimikatz = atomicTests('T1059.001').find((t) => t.name === 'Mimikatz')!;

  beforeAll(async () => {
    const stream = new Writable({ write(chunk, _enc, done) { log.push(String(chunk)); done(); } });
    app = createServer({ dbPath: kbPath, results: { file, tokens: parseTokens(TOKENS) }, logger: { level: 'info', stream } });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => app.inject({
    method: 'POST', url, headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}`, ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  } as InjectOptions);
  const record = (over: Record<string, unknown> = {}) => ({ technique: 'T1059.001', test: mimikatz.guid, outcome: 'ran', host: 'WS42', start: daysAgo(1, 8).toISOString(), ...over });
  const counts = () => {
    const s = ResultsStore.open(file);
    try {
      return s.counts();
    } finally {
      s.close();
    }
  };

  it('refuses a missing, malformed or wrong token with 401, before reading the body', async () => {
    for (const authorization of [undefined, 'Basic YWxpY2U6eA==', `Bearer ${ALICE}x`, `Bearer ${ALICE.slice(1)}`, 'Bearer ', `bearer  ${ALICE}`]) {
      const r = await post('/api/results', { records: [record()] }, authorization === undefined ? { authorization: '' } : { authorization });
      expect(r.statusCode, String(authorization)).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="purplebook"');
      expect(r.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    const big = await post('/api/results', 'x'.repeat(MAX_API_BODY_BYTES + 10), { authorization: '' });
    expect(big.statusCode).toBe(401);
    expect(counts().executions).toBe(0);
  });

  it('refuses cross-site requests (Origin of another host, Sec-Fetch-Site cross-site) and non-JSON bodies', async () => {
    expect((await post('/api/results', { records: [record()] }, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post('/api/results', { records: [record()] }, { origin: 'null' })).statusCode).toBe(403);
    expect((await post('/api/results', { records: [record()] }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    // The form a cross-site page can send without a preflight.
    expect((await post('/api/results', JSON.stringify({ records: [record()] }), { 'content-type': 'text/plain' })).statusCode).toBe(415);
    expect((await post('/api/results', 'records=1', { 'content-type': 'application/x-www-form-urlencoded' })).statusCode).toBe(415);
    expect(counts().executions).toBe(0);
    // The server's own origin passes.
    expect((await post('/api/results', { records: [record({ outcome: 'not-run' })] }, { origin: 'http://localhost:80' })).statusCode).toBe(201);
  });

  it('refuses oversized bodies with 413 and bodies outside the schema with 400, storing nothing of them', async () => {
    const before = counts();
    const big = await post('/api/results', { records: [record({ note: 'x'.repeat(MAX_API_BODY_BYTES) })] });
    expect(big.statusCode).toBe(413);
    const bad = async (body: unknown, re: RegExp) => {
      const r = await post('/api/results', body);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json<{ message: string }>().message).toMatch(re);
    };
    await bad({ records: [record({ rul: 'x' })] }, /unknown field "rul" in records\[0\]; known fields: technique, test, outcome/);
    await bad({ records: [record()], exercize: 'x' }, /unknown field "exercize" in the body; known fields: exercise, records/);
    await bad({ record: [record()] }, /must have required property 'records'/);
    await bad({ records: [record({ outcome: 'fired' })] }, /must be equal to one of the allowed values/);
    await bad({ records: [] }, /must NOT have fewer than 1 items/);
    await bad({ records: [record({ technique: 'T1059.1' })] }, /must match pattern/);
    await bad('{"records": [', /JSON/);
    // One bad record: the whole request is refused.
    await bad({ records: [record({ start: daysAgo(1, 9).toISOString() }), record({ test: '99' })] }, /records\[1\]: unknown test "99" for T1059\.001/);
    await bad({ records: [record({ technique: 'T9999' })] }, /records\[0\]: technique "T9999": unknown/);
    await bad({ records: [record({ outcome: 'alerted' })] }, /records\[0\]: an alerted outcome needs its rule/);
    await bad({ records: [record({ start: 'yesterday' })] }, /records\[0\]: start "yesterday" is not a time/);
    expect(counts()).toEqual(before);
  });

  it('stores a valid record, recorded by the token\'s name, and shows it on the technique page (HTML and markdown, escaped)', async () => {
    const start = daysAgo(2, 7, 30);
    const r = await post('/api/results', {
      exercise: 'Red week', records: [record({ start: start.toISOString(), outcome: 'ran' }), record({ start: start.toISOString(), outcome: 'alerted', rule: '<b>PS Mimikatz</b>', alertId: 'INC-77' })],
    }, { authorization: `Bearer ${BOB}` });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ executionsAdded: 1, executionsKnown: 1, outcomesAdded: 2, exercises: ['Red week'] });
    const page = await app.inject({ method: 'GET', url: '/techniques/T1059.001', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h2>Validation results</h2>');
    expect(page.body).toContain('<td data-outcome="alerted">alerted</td><td>rule &lt;b&gt;PS Mimikatz&lt;/b&gt; · alert INC-77</td>');
    expect(page.body).toContain('<td>Red week</td>');
    expect(page.body).not.toContain('<b>PS Mimikatz</b>');
    const md = await app.inject({ method: 'GET', url: '/techniques/T1059.001.md' });
    expect(md.body).toContain('## Validation results');
    const s = ResultsStore.open(file);
    try {
      const e = s.history({ exercise: 'Red week' });
      expect(e).toHaveLength(1);
      expect(e[0]!.outcomes.map((o) => [o.outcome, o.recordedBy])).toEqual([['ran', 'bob'], ['alerted', 'bob']]);
      expect(e[0]).toMatchObject({ host: 'ws42', startedAt: start.toISOString().replace(/\.\d{3}Z$/, 'Z') });
    } finally {
      s.close();
    }
    // A later record changes the page at once: nothing is served from a cache.
    await post('/api/results', { records: [record({ start: start.toISOString(), outcome: 'prevented' })] });
    expect((await app.inject({ method: 'GET', url: '/techniques/T1059.001' })).body).toContain('best outcome within 180 days: prevented');
  });

  it('imports an uploaded log; the same upload again adds nothing; bad uploads are 400, oversized ones 413', async () => {
    const runs: AtomicRun[] = atomicTests('T1047').slice(0, 2).map((test, i) => ({ technique: 'T1047', test, host: 'WS43', user: 'eve', start: daysAgo(1, 10, i) }));
    const body = { name: 'ExecutionLog.csv', content: atomicCsv(runs), exercise: 'Red week' };
    const r = await post('/api/results/import', body);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ executionsAdded: 2, outcomesAdded: 2, files: [{ name: 'ExecutionLog.csv', format: 'atomic-csv', records: 2 }], warnings: [] });
    expect((await post('/api/results/import', body)).json()).toMatchObject({ executionsAdded: 0, executionsKnown: 2 });
    expect((await post('/api/results/import', { name: 'x.csv', content: 'a,b\n1,2\n' })).statusCode).toBe(400);
    expect((await post('/api/results/import', { name: 'x.csv', content: atomicCsv([{ ...runs[0]!, technique: 'T9999' }]) })).json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/nothing to import/) });
    expect((await post('/api/results/import', { name: 'x.csv', content: 'x'.repeat(MAX_UPLOAD_BYTES + 64 * 1024) })).statusCode).toBe(413);
    expect((await post('/api/results/import', body, { authorization: '' })).statusCode).toBe(401);
  });

  it('never writes a token to the log', () => {
    const all = log.join('');
    expect(all).toContain('"statusCode":401');
    expect(all).not.toContain(ALICE);
    expect(all).not.toContain(BOB);
    expect(all.toLowerCase()).not.toContain('authorization');
  });
});

describe('results on a server without a token file', () => {
  it('shows results but has no write route; a missing results file is an error', async () => {
    const kbPath = inject('kbPath');
    const dir = tempDir();
    const file = join(dir, 'results.db');
    const s = ResultsStore.open(file, { create: true });
    s.close();
    const app = createServer({ dbPath: kbPath, results: { file } });
    try {
      const r = await app.inject({ method: 'POST', url: '/api/results', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` }, payload: '{"records":[]}' });
      expect(r.statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/techniques/T1059.001' })).body).toContain('No result recorded for this technique.');
    } finally {
      await app.close();
    }
    expect(() => createServer({ dbPath: kbPath, results: { file: join(dir, 'none.db') } })).toThrow(/no results file/);
    const plain = createServer({ dbPath: kbPath });
    try {
      expect((await plain.inject({ method: 'GET', url: '/techniques/T1059.001' })).body).not.toContain('Validation results');
    } finally {
      await plain.close();
    }
  });

  it('serve: --token-file without --results, a short token, a missing token file are bad input', () => {
    const kbPath = inject('kbPath');
    const dir = tempDir();
    const short = join(dir, 'short');
    writeFileSync(short, 'alice abc\n', { mode: 0o600 });
    const serve = (...args: string[]) => cli(['serve', '--port', '0', '--db', kbPath, ...args]);
    let r = serve('--token-file', short);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--token-file and --max-age go with --results');
    r = serve('--results', join(dir, 'r.db'), '--token-file', short);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/short:1: a token must be at least 16 printable characters/);
    expect(r.stderr).not.toContain('abc');
    r = serve('--results', join(dir, 'r.db'), '--token-file', join(dir, 'nope'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--token-file ${join(dir, 'nope')} does not exist`);
    r = serve('--results', join(dir, 'missing.db'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no results file at');
  });
});

describe('parallel writers', () => {
  it('HTTP clients posting at once and a CLI import into the same file lose nothing', async () => {
    const kbPath = inject('kbPath');
    const dir = tempDir();
    const file = join(dir, 'results.db');
    const app = createServer({ dbPath: kbPath, results: { file, tokens: parseTokens(TOKENS) } });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const tests = atomicTests('T1059.001');
      const CLIENTS = 4;
      const MIN_PER_CLIENT = 15;
      const ROWS = 3000;
      const runs: AtomicRun[] = Array.from({ length: ROWS }, (_, i) => ({ technique: 'T1059.001', test: tests[i % tests.length]!, host: 'cli-host', user: 'u', start: new Date(daysAgo(3).getTime() + i * 1000) }));
      const csv = join(dir, 'log.csv');
      writeFileSync(csv, atomicCsv(runs));
      let importDone = false;
      const importer = new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [join(REPO, 'dist', 'cli', 'main.js'), 'results', 'import', csv, '--results', file, '--db', kbPath], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.once('exit', (code) => {
          importDone = true;
          resolve({ code, err });
        });
      });
      // Each client keeps recording until the import process has ended, so their writes overlap its transaction.
      const client = async (c: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < MIN_PER_CLIENT || !importDone; i++) {
          const r = await fetch(`${address}/api/results`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c % 2 ? BOB : ALICE}` },
            body: JSON.stringify({ exercise: `client ${c}`, records: [{ technique: 'T1059.001', test: '1', outcome: 'logged', host: `client${c}`, start: new Date(daysAgo(2).getTime() + i * 1000).toISOString() }] }),
          });
          statuses.push(r.status);
        }
        return statuses;
      };
      const [imported, ...clients] = await Promise.all([importer, ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);
      expect(imported.code, imported.err).toBe(0);
      expect(imported.err).toContain(`Imported ${ROWS} executions`);
      const posts = clients.map((c) => c.length);
      expect(clients.flat().every((st) => st === 201)).toBe(true);
      const total = posts.reduce((a, b) => a + b, 0);
      const s = ResultsStore.open(file);
      try {
        expect(s.counts()).toEqual({ exercises: CLIENTS + 1, executions: total + ROWS, outcomes: total + ROWS });
        posts.forEach((n, c) => expect(s.history({ exercise: `client ${c}` })).toHaveLength(n));
      } finally {
        s.close();
      }
    } finally {
      await app.close();
    }
  });
});
