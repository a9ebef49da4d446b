/**
 * POST /api/results/import parses its upload in a worker thread: a maximal hostile upload (one
 * field of doubled quotes, or as many real log rows as fit) does not stop the server answering
 * another request meanwhile, an import over the time budget is a 422 naming parseBudgetMs, more
 * imports than the thread and its queue take are refused with 503 before their bodies are read,
 * and uploads the parsers refuse outright (too many rows, fields or JSON entries) are 400s.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseImport } from '../../src/results/importers/read.js';
import { MAX_RECORDS_PER_FILE, MAX_UPLOAD_BYTES } from '../../src/results/limits.js';
import { ResultsStore } from '../../src/results/store.js';
import { createServer } from '../../src/server/app.js';
import type { ServerLimits } from '../../src/server/limits.js';
import { parseTokens, UPLOAD_OVERHEAD_BYTES } from '../../src/server/results.js';
import { tempDir } from '../helpers.js';
import { atomicCsv, atomicTests, daysAgo, type AtomicRun } from './fixtures.js';

const TOKEN = 'f00dfeedcafebeef0123456789abcdef';
const HEADER = '"Execution Time (UTC)","Execution Time (Local)","Technique","Test Number","Test Name","Hostname","IP Address","Username","GUID","ProcessId","ExitCode"';

const NAME = 'ExecutionLog.csv';
/** The JSON body of an import of `content`. */
const bodyOf = (content: string) => JSON.stringify({ name: NAME, content });
/** The largest body the server reads: maxResultsUploadBytes and the JSON around the text. */
const BODY_LIMIT = MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD_BYTES;

/** An Atomic log whose second row is one quoted field of doubled quotes, as long as a body of `bytes` holds. */
function quotesCsv(bytes: number): string {
  const head = `${HEADER}\r\n"`;
  // Every doubled quote is four characters of JSON (\"\").
  const pairs = Math.floor((bytes - bodyOf(`${head}"\r\n`).length) / 4);
  return `${head}${'""'.repeat(pairs)}"\r\n`;
}

/** As many real Atomic log rows (tests of T1059.001 read from the data folder) as a body of `bytes` holds. */
function manyRowsCsv(bytes: number): { csv: string; rows: number } {
  const tests = atomicTests('T1059.001');
  const run = (i: number): AtomicRun => ({ technique: 'T1059.001', test: tests[i % tests.length]!, host: `host${i}`, user: 'eve', start: new Date(daysAgo(5).getTime() + i * 1000) });
  const empty = atomicCsv([]);
  const rows: AtomicRun[] = [];
  let size = bodyOf(empty).length;
  for (let i = 0; ; i++) {
    // What the row adds to the body, its quotes and line break escaped.
    const line = JSON.stringify(atomicCsv([run(i)]).slice(empty.length)).length - 2;
    if (size + line > bytes) break;
    rows.push(run(i));
    size += line;
  }
  return { csv: atomicCsv(rows), rows: rows.length };
}

describe('results uploads are parsed off the event loop', () => {
  const kbPath = inject('kbPath');
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /**
   * A listening server whose import handler, once the body has arrived and the handler is about to
   * run, sends GET /healthz: the health request is made while the import is being worked on. The
   * order is taken on the server, as each answer leaves its handler (onSend): on the event loop an
   * import's handler and its answer run to the end before any other request is even read.
   */
  async function serveWithProbe(limits: Partial<ServerLimits> = {}) {
    const file = join(tempDir(), 'results.db');
    app = createServer({ dbPath: kbPath, results: { file, tokens: parseTokens(`alice ${TOKEN}\n`) }, limits });
    const order: string[] = [];
    let probe: Promise<number> | undefined;
    let base = '';
    app.addHook('preHandler', (req, _reply, done) => {
      if (req.url === '/api/results/import' && !probe) probe = fetch(`${base}/healthz`).then((r) => r.status);
      done();
    });
    app.addHook('onSend', (req, _reply, payload, done) => {
      if (req.url === '/healthz') order.push('healthz');
      if (req.url === '/api/results/import') order.push('import');
      done(null, payload);
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const upload = async (content: string) => {
      const r = await fetch(`${base}/api/results/import`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: bodyOf(content),
      });
      return { status: r.status, body: await r.json() as { message?: string; executionsAdded?: number; files?: { records: number }[] } };
    };
    return { file, order, upload, base, probed: () => probe };
  }

  it('a maximal upload with pathological quoting: /healthz is answered while it is read, then the import gets its 400', async () => {
    const { order, upload, probed } = await serveWithProbe();
    const content = quotesCsv(BODY_LIMIT);
    expect(bodyOf(content).length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(bodyOf(content).length).toBeGreaterThan(BODY_LIMIT - 4);
    const r = await upload(content);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/nothing to import from ExecutionLog\.csv: every row was left out:\nExecutionLog\.csv:2: ".{40}" is not a time \(row skipped\)/);
    expect(probed()).toBeDefined();
    expect(await probed()).toBe(200);
    // On the event loop the import would have been answered before the health request was even read.
    expect(order).toEqual(['healthz', 'import']);
  });

  it('a maximal upload of real log rows: /healthz is answered first, then every row is imported in one transaction', async () => {
    const { file, order, upload, probed } = await serveWithProbe();
    const { csv, rows } = manyRowsCsv(BODY_LIMIT);
    expect(bodyOf(csv).length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(rows).toBeGreaterThan(20_000);
    const r = await upload(csv);
    expect(r.status, r.body.message).toBe(200);
    expect(r.body).toMatchObject({ executionsAdded: rows, files: [{ records: rows }] });
    expect(await probed()).toBe(200);
    expect(order).toEqual(['healthz', 'import']);
    const s = ResultsStore.open(file);
    try {
      expect(s.counts()).toMatchObject({ executions: rows, outcomes: rows });
    } finally {
      s.close();
    }
  });

  it('an upload over parseBudgetMs is a 422 naming the limit, nothing is stored, and the next upload is read', async () => {
    // The largest upload parses in about a tenth of a second here: the budget is a quarter of what it
    // takes this machine in this process (warm), so the fresh parser thread, colder, is surely over it,
    // while a one-row upload stays far under it.
    const content = quotesCsv(BODY_LIMIT);
    const warm = Math.min(...[0, 1, 2].map(() => {
      const start = performance.now();
      parseImport(NAME, Buffer.from(content, 'utf8'), undefined);
      return performance.now() - start;
    }));
    const budget = Math.max(5, Math.round(warm / 4));
    const { file, upload } = await serveWithProbe({ parseBudgetMs: budget });
    const slow = await upload(content);
    expect(slow.status).toBe(422);
    expect(slow.body.message).toBe(`reading the uploaded file took longer than ${budget} ms (parseBudgetMs): split it`);
    const tests = atomicTests('T1047');
    const ok = await upload(atomicCsv([{ technique: 'T1047', test: tests[0]!, host: 'ws1', user: 'eve', start: daysAgo(1) }]));
    expect(ok.status, ok.body.message).toBe(200);
    const s = ResultsStore.open(file);
    try {
      expect(s.counts()).toMatchObject({ executions: 1 });
    } finally {
      s.close();
    }
  });

  it('more large imports than the thread and its queue take: 503 with Retry-After, refused before the body is read', async () => {
    const { base } = await serveWithProbe({ maxQueuedParses: 1 });
    const body = bodyOf(quotesCsv(2 * 1024 * 1024));
    const port = new URL(base).port;
    // node:http, not fetch: a refused upload's connection is closed while its body is still being sent.
    const post = () => new Promise<{ status: number; retryAfter?: string; body: { message: string } }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path: '/api/results/import', method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TOKEN}` },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) as { message: string } }));
      });
      let answered = false;
      req.on('response', () => (answered = true));
      req.on('error', (e) => {
        if (!answered) reject(e);
      });
      req.end(body);
    });
    // One thread and one place in the queue: two of four are read, two refused.
    const answers = await Promise.all([post(), post(), post(), post()]);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(2);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused).toHaveLength(2);
    for (const a of refused) {
      expect(a.retryAfter).toBe('5');
      expect(a.body.message).toMatch(/^too many results imports at once: .*; try again shortly$/);
    }
    // Every admission was given back.
    expect((await post()).status).toBe(400);
  });

  it('files the parsers refuse outright (too many rows, fields or JSON entries) are 400 with the file named', async () => {
    const { upload } = await serveWithProbe();
    const blankRows = await upload(`${HEADER}\n${'a\n'.repeat(MAX_RECORDS_PER_FILE + 2)}`);
    expect(blankRows.status).toBe(400);
    expect(blankRows.body.message).toBe(`ExecutionLog.csv: more than ${MAX_RECORDS_PER_FILE + 2} rows: split the file`);
    const commas = await upload(`${HEADER}\n${','.repeat(5000)}`);
    expect(commas.status).toBe(400);
    expect(commas.body.message).toBe('ExecutionLog.csv: line 2: more than 1000 fields in a row');
    const procedures = await upload(JSON.stringify({ 'attire-version': '1.1', procedures: new Array(MAX_RECORDS_PER_FILE + 1).fill(0) }));
    expect(procedures.status).toBe(400);
    expect(procedures.body.message).toBe(`ExecutionLog.csv: ${MAX_RECORDS_PER_FILE + 1} procedures, more than the ${MAX_RECORDS_PER_FILE} one import takes: split the file`);
  });
});
