/**
 * The results write routes in /api/openapi.json (`serve --results FILE --token-file F`): request
 * bodies from the very schemas Fastify validates them with, the bearer token, and every refusal.
 */
import type { ServerLimits } from './limits.js';
import { importBodySchema, resultsBodySchema, UPLOAD_OVERHEAD_BYTES } from './results.js';

type Json = Record<string, unknown>;

/** OpenAPI 3.0 has no `propertyNames`: "no other field" becomes additionalProperties, at every depth. */
export function toOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApi);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) if (k !== 'propertyNames') out[k] = toOpenApi(v);
  if ('propertyNames' in (schema as Json)) out.additionalProperties = false;
  return out;
}

const count = { type: 'integer', minimum: 0 };
const writeSummary = {
  executionsAdded: { ...count, description: 'executions stored by this request' },
  executionsKnown: { ...count, description: 'executions already stored (same test, host and start time): nothing added for them' },
  outcomesAdded: count,
  outcomesKnown: { ...count, description: 'outcomes already recorded, left out' },
  exercises: { type: 'array', items: { type: 'string' }, description: 'exercises the executions belong to' },
};

const recordsResponse = {
  type: 'object', required: [...Object.keys(writeSummary), 'executions'],
  properties: { ...writeSummary, executions: { type: 'array', items: { type: 'integer' }, description: 'the execution id each record went to, in record order' } },
};

const importResponse = {
  type: 'object', required: [...Object.keys(writeSummary), 'files', 'warnings', 'moreWarnings', 'carried'],
  properties: {
    ...writeSummary,
    files: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, format: { type: 'string' }, records: count, empty: { ...count, description: 'sheet rows nobody filled in' } } },
    },
    warnings: { type: 'array', maxItems: 100, items: { type: 'string' }, description: 'rows left out (unknown technique or test), each named by file:line' },
    moreWarnings: { ...count, description: 'warnings beyond the first 100' },
    carried: { type: 'object', additionalProperties: { type: 'integer' }, description: 'revoked technique ids carried to their replacement ("T1562.001 → T1685": rows)' },
  },
};

export function resultsOpenApi(limits: ServerLimits, writable: boolean, errorSchema: Json): { paths: Json; components?: Json } {
  if (!writable) return { paths: {} };
  const error = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });
  const refusals = (tooLarge: string, invalid: string) => ({
    400: error(invalid),
    401: { ...error('no "Authorization: Bearer <token>", or a token not in the server\'s --token-file'), headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer realm="purplebook"' } } },
    403: error('a cross-site request: an Origin other than the server\'s own, or Sec-Fetch-Site: cross-site'),
    413: error(tooLarge),
    415: error('not application/json (form encodings a cross-site page could send are refused)'),
  });
  const write = (summary: string, description: string, body: Json, ok: { code: number; description: string; schema: Json }, tooLarge: string, invalid: string, more: Json = {}) => ({
    post: {
      summary, description, security: [{ bearer: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: toOpenApi(body) } } },
      responses: { [ok.code]: { description: ok.description, content: { 'application/json': { schema: ok.schema } } }, ...refusals(tooLarge, invalid), ...more },
    },
  });
  // The file is read by a parser thread of its own (results-upload.ts): its budget, its memory and its queue.
  const parserRefusals = {
    422: error(`reading the file took longer than ${limits.parseBudgetMs} ms (parseBudgetMs), or more memory than the parser thread may use: split it`),
    503: {
      ...error(`the parser thread is busy and its queue (maxQueuedParses ${limits.maxQueuedParses}) is full: refused before the body is read, the connection closed`),
      headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait (5)' } },
    },
  };
  return {
    paths: {
      '/api/results': write(
        'Record outcomes of tests (`purplebook results set`, over HTTP)',
        'Each record names a technique, a test (Atomic GUID or number, Caldera ability id …) and an outcome; records with the same test, host and start time go to one execution. '
          + 'Every record is checked before anything is written: a request is stored whole or not at all.',
        resultsBodySchema(limits.maxResultsRecords),
        { code: 201, description: 'stored', schema: recordsResponse },
        `body over ${limits.maxResultsBodyBytes} bytes (maxResultsBodyBytes)`,
        `invalid JSON, a body outside the schema (unknown fields are named), more than ${limits.maxResultsRecords} records (maxResultsRecords), `
          + 'an unknown technique or test, an alerted outcome without its rule, a start or end that is not a time',
      ),
      '/api/results/import': write(
        'Import a log or sheet (`purplebook results import`, over HTTP)',
        'The file\'s text inside a JSON body: an Invoke-AtomicRedTeam CSV or Attire log, a Caldera operation report, an outcome sheet (`plan --format csv`) or a results export. '
          + 'Idempotent: the same file again adds nothing. Rows with an unknown technique or test are left out with a warning.',
        importBodySchema(limits.maxResultsUploadBytes),
        { code: 200, description: 'imported', schema: importResponse },
        `body over ${limits.maxResultsUploadBytes + UPLOAD_OVERHEAD_BYTES} bytes: maxResultsUploadBytes of file text plus ${UPLOAD_OVERHEAD_BYTES} bytes of JSON`,
        'invalid JSON, a body outside the schema, a file that is not UTF-8 or not a known format, or nothing importable in it',
        parserRefusals,
      ),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token of the server\'s --token-file (one per line, "TOKEN" or "NAME TOKEN")' } },
    },
  };
}
