/**
 * Results on the server (`serve --results FILE`): technique pages show the Validation results
 * block. With `--token-file`, two write routes exist: POST /api/results (records as JSON) and
 * POST /api/results/import (a log or sheet uploaded inside a JSON body). Writes need a bearer
 * token (compared in constant time, never logged), JSON bodies of bounded size, and no
 * cross-site origin; without a token file the server stays read-only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Crosswalk, translated } from '../crosswalk/translate.js';
import { releaseFromKb } from '../crosswalk/release.js';
import type { KnowledgeBase } from '../kb/open.js';
import { TestCatalog } from '../results/catalog.js';
import { findTestOf, TestNotFound } from '../results/find-test.js';
import { importParsed } from '../results/import.js';
import { ImportError, IMPORT_FORMATS, type ImportFormat } from '../results/importers/types.js';
import { MAX_TEXT } from '../results/limits.js';
import { resultsLayer } from '../results/layer.js';
import { RESULTS_LABEL, RESULTS_MEASURE } from '../results/matrix.js';
import { withResultsMeasure } from '../site/results-measure.js';
import type { Domain } from '../attack/types.js';
import type { NavigatorLayer } from '../render/layer.js';
import type { MatrixData } from '../site/model.js';
import type { ExecutionInput } from '../results/model.js';
import { OUTCOMES, type Outcome } from '../results/outcomes.js';
import { pageResultsHtml, pageResultsMarkdown } from '../results/page.js';
import { ResultsReader } from '../results/reader.js';
import { ResultsStore } from '../results/store.js';
import { normalizeTime } from '../results/time.js';
import { DEFAULT_MAX_AGE_DAYS, type TechniqueResults } from '../results/view.js';
import { layerContextOf } from '../kb/layer-context.js';
import { HttpError, TYPES, gen, schemaErrorsText, unknownFieldOf, type SchemaError } from './http.js';
import type { ServerLimits } from './limits.js';
import { ResultsUploadParser } from './results-upload.js';
import { InputError, fileProblem } from '../core/errors.js';

export interface WriteToken {
  /** Who the outcomes recorded with it are recorded by. */
  name: string;
  /** SHA-256 of the token: the token itself is not kept. */
  digest: Buffer;
}

export interface ResultsServerOptions {
  file: string;
  /** From `--token-file`; absent or empty: no write route. */
  tokens?: WriteToken[];
  maxAgeDays?: number;
}

export class TokenFileError extends InputError {}

/** Shortest token accepted: 16 characters (`openssl rand -hex 32` gives 64). */
export const MIN_TOKEN_LENGTH = 16;
const TOKEN = /^[\x21-\x7e]+$/;

const digestOf = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Token file lines: `TOKEN` or `NAME TOKEN`; blank lines and `#` comments ignored. */
export function parseTokens(text: string, file = 'token file'): WriteToken[] {
  const tokens: WriteToken[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length > 2) throw new TokenFileError(`${file}:${i + 1}: expected "TOKEN" or "NAME TOKEN"`);
    const [name, token] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['api', parts[0]!];
    // The message names the line, never the token.
    if (token.length < MIN_TOKEN_LENGTH || !TOKEN.test(token)) {
      throw new TokenFileError(`${file}:${i + 1}: a token must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces (e.g. \`openssl rand -hex 32\`)`);
    }
    tokens.push({ name: name.slice(0, 100), digest: digestOf(token) });
  });
  if (!tokens.length) throw new TokenFileError(`${file}: no token in it`);
  return tokens;
}

export function readTokenFile(path: string): { tokens: WriteToken[]; warning?: string } {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TokenFileError(`--token-file ${path} ${fileProblem(e, 'a token file, one name:token a line') ?? `cannot be read: ${(e as Error).message}`}`);
  }
  const tokens = parseTokens(text, path);
  const warning = process.platform !== 'win32' && mode & 0o077 ? `${path} can be read by other users: chmod 600 ${path}` : undefined;
  return { tokens, ...(warning ? { warning } : {}) };
}

/** The token that matches, compared against every one in constant time (no early exit). */
export function matchToken(given: string, tokens: readonly WriteToken[]): WriteToken | undefined {
  const d = digestOf(given);
  let found: WriteToken | undefined;
  for (const t of tokens) if (timingSafeEqual(d, t.digest)) found = t;
  return found;
}

/** The results file as the server uses it: one connection, pages read through it, writes queued on SQLite's lock. */
export class ServerResults {
  readonly store: ResultsStore;
  readonly reader: ResultsReader;
  readonly tokens: readonly WriteToken[];
  readonly maxAgeDays: number;

  constructor(opts: ResultsServerOptions) {
    this.tokens = opts.tokens ?? [];
    // A server that may write creates the file; a read-only one needs it to exist.
    this.store = ResultsStore.open(opts.file, { create: this.tokens.length > 0 });
    this.reader = new ResultsReader(this.store);
    this.maxAgeDays = opts.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;
  }

  get writable(): boolean {
    return this.tokens.length > 0;
  }

  pageHtml(kb: KnowledgeBase, id: string): string {
    return pageResultsHtml(this.reader.technique(kb, id, { maxAgeDays: this.maxAgeDays }), this.maxAgeDays);
  }

  /** Every technique's results as of now (the matrix's and the layer's `results` measure). */
  all(kb: KnowledgeBase): Map<string, TechniqueResults> {
    return this.reader.all(kb, { maxAgeDays: this.maxAgeDays });
  }

  /** A matrix's data with the results measure; `withValues` false: listed only (the page's measure menu). */
  matrixData(kb: KnowledgeBase, data: MatrixData, withValues = true): MatrixData {
    return withResultsMeasure(data, withValues ? this.all(kb) : undefined, this.maxAgeDays);
  }

  layer(kb: KnowledgeBase, domain: Domain): NavigatorLayer {
    return resultsLayer({ context: layerContextOf(kb), results: this.all(kb), domain, maxAgeDays: this.maxAgeDays });
  }

  /** The entry of /api/measures. */
  get measure(): { id: string; label: string; kind: string; description: string } {
    return {
      id: RESULTS_MEASURE, label: RESULTS_LABEL, kind: 'outcome',
      description: `best outcome of the tests run against the technique within ${this.maxAgeDays} days (serve --max-age); stale when every result is older`,
    };
  }

  pageMarkdown(kb: KnowledgeBase, id: string): string {
    return `\n${pageResultsMarkdown(this.reader.technique(kb, id, { maxAgeDays: this.maxAgeDays }), this.maxAgeDays)}`;
  }

  close(): void {
    this.store.close();
  }
}

/* ------------------------------------------------------------------ schemas */

const text = (max: number, description: string) => ({ type: 'string', minLength: 1, maxLength: max, description });
const strict = (properties: Record<string, unknown>, required: string[]) => ({
  // propertyNames, not additionalProperties: Fastify's Ajv would silently drop a misspelt field.
  type: 'object', properties, required, propertyNames: { enum: Object.keys(properties) },
});

export const resultRecordSchema = strict({
  technique: { type: 'string', pattern: '^[Tt][0-9]{4}(\\.[0-9]{3})?$', description: 'technique id (a revoked one is carried to its replacement)' },
  test: text(200, 'Atomic GUID or number (3, T1059.001-3), Caldera ability id, Prelude TTP id …'),
  outcome: { type: 'string', enum: [...OUTCOMES] },
  rule: text(MAX_TEXT, 'the rule that fired (needed for alerted)'),
  alertId: text(MAX_TEXT, 'id of the alert'),
  note: text(MAX_TEXT, 'free text'),
  host: text(255, 'host the test ran on'),
  user: text(255, 'user it ran as'),
  start: text(40, 'when it started (ISO 8601); without, the outcome goes to the test\'s latest execution'),
  end: text(40, 'when it ended (ISO 8601)'),
  exitStatus: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
}, ['technique', 'test', 'outcome']);

/** Body of POST /api/results; `maxRecords` is the `maxResultsRecords` limit. */
export const resultsBodySchema = (maxRecords: number) => strict({
  exercise: text(200, 'exercise (created if new)'),
  records: { type: 'array', minItems: 1, maxItems: maxRecords, items: resultRecordSchema },
}, ['records']);

/** Body of POST /api/results/import; `maxBytes` is the `maxResultsUploadBytes` limit. */
export const importBodySchema = (maxBytes: number) => strict({
  name: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f]+$', description: 'file name, for warnings and the import record' },
  format: { type: 'string', enum: [...IMPORT_FORMATS], description: 'default: recognised by content' },
  exercise: text(200, 'put every execution in this exercise'),
  content: { type: 'string', minLength: 1, maxLength: maxBytes, description: 'the file\'s text: an Atomic CSV or Attire log, a Caldera report, an outcome sheet or a results export' },
}, ['name', 'content']);

interface RecordBody {
  technique: string; test: string; outcome: Outcome; rule?: string; alertId?: string; note?: string; host?: string; user?: string;
  start?: string; end?: string; exitStatus?: number;
}

/* ------------------------------------------------------------------ routes */

declare module 'fastify' {
  interface FastifyRequest {
    writer?: WriteToken;
  }
}

/** One message per body: a misspelt field is named with the fields known where it stands (the body, or a record). */
const bodyErrors = (top: readonly string[]) => (errors: SchemaError[], dataVar: string): Error => {
  const unknown = unknownFieldOf(errors);
  if (unknown) {
    const m = /^\/records\/(\d+)/.exec(unknown.error.instancePath);
    const where = m ? `records[${m[1]}]` : 'the body';
    const known = m ? resultRecordSchema.propertyNames.enum : unknown.error.instancePath ? [] : top;
    return new Error(`unknown field "${unknown.name.slice(0, 60)}" in ${where}${known.length ? `; known fields: ${known.join(', ')}` : ''}`);
  }
  return new Error(schemaErrorsText(errors.slice(0, 5), dataVar));
};

function sameOrigin(req: FastifyRequest): boolean {
  // Browsers say where a request comes from; scripts (curl, the CLI) send no Origin and pass.
  if (req.headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  const m = /^([^:]+|\[[^\]]+\])(?::(\d+))?$/.exec(req.headers.host ?? '');
  if (!m || !/^https?:$/.test(url.protocol)) return false;
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  return url.hostname.toLowerCase() === m[1]!.toLowerCase() && (url.port || defaultPort) === (m[2] ?? defaultPort);
}

/** The JSON around an upload's text (escapes, the other fields) on top of `maxResultsUploadBytes`. */
export const UPLOAD_OVERHEAD_BYTES = 64 * 1024;

/**
 * Origin, then token, then JSON, then the declared size: checked before the body is read, so a
 * refused request costs nothing. A chunked body over the limit still gets Fastify's 413.
 */
function guard(results: ServerResults, maxBytes: number, limitName: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!sameOrigin(req)) throw new HttpError(403, 'cross-origin writes are refused');
    const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(req.headers.authorization ?? '');
    const writer = m ? matchToken(m[1]!, results.tokens) : undefined;
    if (!writer) {
      reply.header('www-authenticate', 'Bearer realm="purplebook"');
      throw new HttpError(401, m ? 'the token is not valid' : 'a write needs "Authorization: Bearer <token>" (serve --token-file)');
    }
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'the body must be JSON (content-type: application/json)');
    const length = Number(req.headers['content-length']);
    if (length > maxBytes) throw new HttpError(413, `the body is ${length} bytes, over the ${maxBytes}-byte limit (${limitName})`);
    req.writer = writer;
  };
}

function recordOf(crosswalk: Crosswalk, catalog: TestCatalog, r: RecordBody, i: number): ExecutionInput {
  const where = `records[${i}]`;
  const t = crosswalk.translate(r.technique);
  if (!translated(t)) throw new HttpError(400, `${where}: technique "${r.technique}": ${t.notes[0] ?? t.outcome}`);
  let test;
  try {
    test = findTestOf(catalog, t, r.test);
  } catch (e) {
    if (e instanceof TestNotFound) throw new HttpError(400, `${where}: ${e.message}`);
    throw e;
  }
  if (r.outcome === 'alerted' && !r.rule) throw new HttpError(400, `${where}: an alerted outcome needs its rule`);
  const startedAt = r.start === undefined ? undefined : normalizeTime(r.start);
  if (r.start !== undefined && !startedAt) throw new HttpError(400, `${where}: start "${r.start}" is not a time`);
  const endedAt = r.end === undefined ? undefined : normalizeTime(r.end);
  if (r.end !== undefined && !endedAt) throw new HttpError(400, `${where}: end "${r.end}" is not a time`);
  return {
    technique: t.ids.find((id) => test.techniques.includes(id)) ?? t.ids[0]!, techniqueRaw: t.id, source: test.source, testId: test.id, testName: test.name,
    platform: test.platforms.length === 1 ? test.platforms[0] : undefined, host: r.host, user: r.user, startedAt, endedAt, exitStatus: r.exitStatus,
    outcomes: [{ outcome: r.outcome, rule: r.rule, alertId: r.alertId, note: r.note }],
  };
}

export function resultsRoutes(app: FastifyInstance, results: ServerResults, limits: ServerLimits): void {
  if (!results.writable) return;
  const resultsBody = resultsBodySchema(limits.maxResultsRecords);
  const importBody = importBodySchema(limits.maxResultsUploadBytes);
  const uploadLimit = limits.maxResultsUploadBytes + UPLOAD_OVERHEAD_BYTES;
  const uploads = new ResultsUploadParser(limits);
  app.addHook('onClose', () => uploads.close());
  const contexts = new WeakMap<KnowledgeBase, { crosswalk: Crosswalk; catalog: TestCatalog }>();
  const contextOf = (kb: KnowledgeBase) => {
    let c = contexts.get(kb);
    if (!c) contexts.set(kb, (c = { crosswalk: new Crosswalk(releaseFromKb(kb)), catalog: new TestCatalog(kb) }));
    return c;
  };

  app.post<{ Body: { exercise?: string; records: RecordBody[] } }>('/api/results', {
    onRequest: guard(results, limits.maxResultsBodyBytes, 'maxResultsBodyBytes'), bodyLimit: limits.maxResultsBodyBytes, schema: { body: resultsBody }, schemaErrorFormatter: bodyErrors(resultsBody.propertyNames.enum),
  }, async (req, reply) => {
    const kb = gen(req).kb;
    const { crosswalk, catalog } = contextOf(kb);
    // Every record checked before anything is written: a request is stored whole or not at all.
    const records = req.body.records.map((r, i) => recordOf(crosswalk, catalog, r, i));
    const { touched, ...s } = results.store.write({ records, exercise: req.body.exercise ? { name: req.body.exercise } : undefined, recordedBy: req.writer!.name });
    reply.code(201).header('cache-control', 'no-store').type(TYPES.json);
    return JSON.stringify({ ...s, executions: touched });
  });

  app.post<{ Body: { name: string; format?: ImportFormat; exercise?: string; content: string } }>('/api/results/import', {
    onRequest: [guard(results, uploadLimit, 'maxResultsUploadBytes + 64 KiB of JSON'), async (_req, reply) => uploads.admit(reply)], bodyLimit: uploadLimit, schema: { body: importBody }, schemaErrorFormatter: bodyErrors(importBody.propertyNames.enum),
  }, async (req, reply) => {
    const b = req.body;
    // Parsed in a worker thread; resolving the rows and the one transaction that stores them stay here, beside every other write.
    const parsed = await uploads.parse({ name: b.name, content: b.content, format: b.format });
    let report;
    try {
      report = importParsed(results.store, gen(req).kb, [{ ...parsed, name: b.name }], { exercise: b.exercise ? { name: b.exercise } : undefined, recordedBy: req.writer!.name });
    } catch (e) {
      if (e instanceof ImportError) throw new HttpError(400, e.message);
      throw e;
    }
    reply.code(200).header('cache-control', 'no-store').type(TYPES.json);
    const { touched: _touched, ...summary } = report.summary;
    return JSON.stringify({ ...summary, files: report.files, warnings: report.warnings.slice(0, 100), moreWarnings: Math.max(0, report.warnings.length - 100), carried: Object.fromEntries(report.carried) });
  });
}
