/**
 * JSON schemas of every route parameter. Fastify validates requests with them and the OpenAPI
 * document is generated from them, so the two cannot drift apart.
 */
import { VALIDATION_ORDER } from '../page/measures.js';
import { resultsOpenApi } from './results-openapi.js';
import type { ServerLimits } from './limits.js';

export const MAX_LIST_LIMIT = 500;
export const MAX_SEARCH_LIMIT = 100;

export const TECHNIQUE_ID = '^[Tt][0-9]{4}(\\.[0-9]{3})?$';
const DOMAIN_ENUM = ['enterprise', 'mobile', 'ics', 'enterprise-attack', 'mobile-attack', 'ics-attack'];
/** Short names accepted for the validation classes, beside the full class strings. */
export const VALIDATION_ALIASES: Record<string, string> = {
  neither: 'neither', none: 'neither', 'test-only': 'testable, no public detection', 'detect-only': 'detectable, no public test', both: 'testable and detectable',
};

interface Schema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties: false;
}

const obj = (properties: Schema['properties'], required?: string[]): Schema => ({ type: 'object', properties, ...(required ? { required } : {}), additionalProperties: false });

/** A control stack in a query: `stack=sigma,elastic` or `stack=sigma&stack=elastic`, or a named stack of the server's config. */
const STACK_PARAM = {
  type: 'array', maxItems: 100, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9,._-]{0,2000}$' },
  description: 'control stack: count only these sources (comma-separated or repeated), or a stack named in purplebook.config.json',
};

export const techniqueListQuery = obj({
  domain: { type: 'string', enum: DOMAIN_ENUM, description: 'enterprise, mobile or ics' },
  tactic: { type: 'string', pattern: '^[A-Za-z0-9 &-]{1,60}$', description: 'tactic shortname (lateral-movement), id (TA0008) or name' },
  platform: { type: 'string', pattern: '^[A-Za-z0-9 ./()&+-]{1,60}$', description: 'platform, case-insensitive (Linux, Windows, Control Server …)' },
  validation: { type: 'string', enum: [...new Set([...VALIDATION_ORDER, ...Object.keys(VALIDATION_ALIASES)])], description: 'validation class, or neither / test-only / detect-only / both' },
  source: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,80}$', description: 'only techniques with at least one resource of this source' },
  status: { type: 'string', enum: ['active', 'revoked', 'deprecated', 'all'], default: 'active' },
  subtechniques: { type: 'boolean', default: true, description: 'include sub-techniques' },
  stack: STACK_PARAM,
  limit: { type: 'integer', minimum: 1, default: 100, description: `page size, capped at ${MAX_LIST_LIMIT}` },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
});

export const techniqueParams = obj({ id: { type: 'string', pattern: TECHNIQUE_ID, maxLength: 9, description: 'technique id, case-insensitive' } }, ['id']);
export const techniqueQuery = obj({ includeDeprecated: { type: 'boolean', default: false, description: 'also list deprecated resources' } });

export const searchQuery = obj({
  q: { type: 'string', minLength: 1, maxLength: 200, description: 'free text or a technique id' },
  limit: { type: 'integer', minimum: 1, default: 20, description: `page size, capped at ${MAX_SEARCH_LIMIT}` },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0, description: 'hits to skip: the next page starts at offset + limit' },
  kind: { type: 'string', pattern: '^(technique|rule|test|control)(,(technique|rule|test|control))*$', description: 'only these kinds, comma-separated: technique, rule, test, control' },
  source: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,80}(,[a-z0-9][a-z0-9._-]{0,80}){0,40}$', description: 'only resources of these sources, comma-separated' },
}, ['q']);

export const layerParams = obj({ measure: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,100}$', description: 'validation, controls, detections, tests or source-<name> (see /api/measures)' } }, ['measure']);
export const layerQuery = obj({ domain: { type: 'string', enum: DOMAIN_ENUM, default: 'enterprise' }, stack: STACK_PARAM });

export const LINEUP_FORMATS = ['json', 'csv', 'markdown'] as const;
const listParam = (what: string, max = 200) => ({ type: 'array', maxItems: 50, items: { type: 'string', maxLength: max }, description: `${what} (comma-separated or repeated)` });

/** The line-up page and /api/lineup take the same query: the page's URL is the view. */
export const lineupQuery = obj({
  group: listParam('ATT&CK groups by id, name or alias'),
  software: listParam('ATT&CK software by id, name or alias'),
  campaign: listParam('ATT&CK campaigns by id or name'),
  techniques: listParam('technique ids', 20_000),
  stack: STACK_PARAM,
  sort: { type: 'string', enum: ['rules', 'tests', 'controls', 'total', 'id'], default: 'total', description: 'most first (id: ATT&CK order)' },
  tactic: listParam('tactic shortname, id or name'),
  lowestLevel: { type: 'boolean', default: false, description: 'sub-techniques where they exist, the technique otherwise' },
  domain: { type: 'string', enum: DOMAIN_ENUM, default: 'enterprise' },
  format: { type: 'string', enum: [...LINEUP_FORMATS], default: 'json', description: 'API only: json, csv or markdown' },
});

/** Page paths: `T1021.004`, `T1021.004.html`, `T1021.004.md`. */
export const pageParams = obj({ file: { type: 'string', pattern: '^[Tt][0-9]{4}(\\.[0-9]{3})?(\\.(html|md))?$', maxLength: 20 } }, ['file']);
export const dataParams = obj({ file: { type: 'string', enum: ['search.js', 'matrix-enterprise.js', 'matrix-mobile.js', 'matrix-ics.js'] } }, ['file']);

/* ------------------------------------------------------------------ coverage, plan, actors */

export const MAX_ACTOR_LIMIT = 50;
export const COVERAGE_FORMATS = ['json', 'csv', 'layer', 'markdown'] as const;
export const PLAN_FORMATS = ['json', 'markdown'] as const;

interface BodySchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  /** Unknown fields are refused (a misspelt "groups" must not silently mean "no threat"). */
  propertyNames: { enum: string[] };
}

const body = (properties: BodySchema['properties']): BodySchema => ({ type: 'object', properties, propertyNames: { enum: Object.keys(properties) } });
const names = (what: string) => ({ type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 200 }, description: what });
const words = (what: string) => ({ type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 100 }, description: what });

const THREAT_FIELDS = {
  group: names('ATT&CK groups by id, name or alias (G0016, APT29, Cozy Bear)'),
  software: names('ATT&CK software by id, name or alias'),
  campaign: names('ATT&CK campaigns by id or name'),
  techniques: { type: 'array', maxItems: 5000, items: { type: 'string', pattern: TECHNIQUE_ID }, description: 'a technique list as ids' },
  techniqueList: { type: 'string', description: 'a technique list file: plain ids, or an ATT&CK Navigator layer (JSON)' },
  techniqueListName: { type: 'string', minLength: 1, maxLength: 300, description: 'name of that list in the report' },
  motivation: words('groups whose motivation matches (threat profile)'),
  victimIndustry: words('groups that targeted this industry'),
  victimCountry: words('groups that targeted this country'),
  originCountry: words('groups attributed to this country (RU, CN, KP, IR …)'),
  domain: { type: 'string', enum: DOMAIN_ENUM, default: 'enterprise' },
  stack: STACK_PARAM,
  rules: {
    type: 'array', maxItems: 10_000,
    description: 'own rule files (Sigma, Elastic TOML, Kibana NDJSON, Splunk ESCU YAML, savedsearches.conf), recognised by content; '
      + 'without it, the rules folder of `serve --rules`, if any',
    items: {
      type: 'object', required: ['name', 'content'], additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'file name or relative path' },
        content: { type: 'string', description: 'the file text' },
      },
    },
  },
};

export const coverageBody = body({
  ...THREAT_FIELDS,
  baseline: { type: 'string', description: 'an earlier coverage layer (score > 0 = covered): the report lists techniques gained and lost' },
  pageBase: { type: 'string', maxLength: 500, pattern: '^https?://[^\\s]+$', description: 'address of a Purplebook site, for links in the layer' },
  format: { type: 'string', enum: [...COVERAGE_FORMATS], default: 'json', description: 'json (the report), csv, layer (ATT&CK Navigator) or markdown' },
});

export const planBody = body({
  ...THREAT_FIELDS,
  platforms: { type: 'array', maxItems: 20, items: { type: 'string', pattern: '^[A-Za-z0-9 ./()&+-]{1,60}$' }, description: 'windows, linux, macos … (default: every platform)' },
  maxDetections: { type: 'integer', minimum: 1, maximum: 100, default: 8, description: 'public detection candidates per technique' },
  format: { type: 'string', enum: [...PLAN_FORMATS], default: 'json' },
});

export const TELEMETRY_FORMATS = ['json', 'markdown', 'csv', 'layer'] as const;
const { rules: _rules, ...THREAT_ONLY } = THREAT_FIELDS;

export const telemetryBody = body({
  ...THREAT_ONLY,
  profile: { type: 'string', maxLength: 1024 * 1024, description: 'the telemetry profile: YAML text, as telemetry.yaml (docs/telemetry.md); `[]` for none' },
  format: { type: 'string', enum: [...TELEMETRY_FORMATS], default: 'json', description: 'json (the analysis), markdown, csv or layer (ATT&CK Navigator, score = runnable rules)' },
});

export const actorsQuery = obj({
  q: { type: 'string', minLength: 1, maxLength: 100, description: 'part of an id, name or alias' },
  kind: { type: 'string', enum: ['group', 'software', 'campaign'] },
  domain: { type: 'string', enum: DOMAIN_ENUM, description: 'only actors seen in this domain' },
  limit: { type: 'integer', minimum: 1, default: 12, description: `capped at ${MAX_ACTOR_LIMIT}` },
}, ['q']);

const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' }, suggestions: { type: 'array', items: { type: 'string' } } },
  required: ['statusCode', 'error', 'message'],
};

function parameters(where: 'query' | 'path', schema: Schema): Record<string, unknown>[] {
  return Object.entries(schema.properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || !!schema.required?.includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

function op(summary: string, params: Record<string, unknown>[], ok: string, extra: Record<string, unknown> = {}) {
  const json = (description: string) => ({ description, content: { 'application/json': { schema: description === ok ? { type: 'object' } : errorSchema } } });
  return {
    get: {
      summary, parameters: params,
      responses: { 200: json(ok), 400: json('invalid parameter'), ...extra },
    },
  };
}

/** OpenAPI 3.0 has no `propertyNames`: it says "no other field" as additionalProperties. */
function openApiBody(schema: BodySchema): Record<string, unknown> {
  const { propertyNames: _names, ...rest } = schema;
  return { ...rest, additionalProperties: false };
}

function post(summary: string, schema: BodySchema, ok: Record<string, string>) {
  const error = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });
  return {
    post: {
      summary,
      requestBody: { required: true, content: { 'application/json': { schema: openApiBody(schema) } } },
      responses: {
        200: { description: Object.values(ok).join('; '), content: Object.fromEntries(Object.keys(ok).map((type) => [type, { schema: type === 'application/json' ? { type: 'object' } : { type: 'string' } }])) },
        400: error('invalid body, unknown threat, or a baseline that is not a layer'),
        413: error('body over the size limit (maxBodyBytes)'),
        415: error('not application/json'),
        422: error('uploaded rules over a limit: parse time (parseBudgetMs), parser memory, rule references (maxRuleReferences) or response size (maxResponseBytes)'),
        503: error('every parser thread busy and the upload queue full: retry after the Retry-After seconds'),
      },
    },
  };
}

export interface OpenApiOptions {
  /** `serve --results`: the layer and matrix measure `results`; `writable` (a token file): the write routes. */
  results?: { writable: boolean; limits: ServerLimits };
}

export function openApiDocument(version: string, opts: OpenApiOptions = {}): Record<string, unknown> {
  const notFound = { 404: { description: 'not found', content: { 'application/json': { schema: errorSchema } } } };
  const results = opts.results ? resultsOpenApi(opts.results.limits, opts.results.writable, errorSchema) : undefined;
  const layerParameters = parameters('path', layerParams).map((p) => (results ? { ...p, description: `${String(p.description)}, or results (best outcome, \`serve --results\`)` } : p));
  return {
    openapi: '3.0.3',
    info: {
      title: 'Purplebook API', version,
      description: 'Read-only access to the Purplebook knowledge base: for every MITRE ATT&CK technique, what stops it, what detects it, and how to test it; '
        + 'coverage of your own detection rules and purple-team plans (computed per request, nothing stored).',
      license: { name: 'Apache-2.0' },
    },
    servers: [{ url: '.' }],
    paths: {
      '/api/techniques': op('Techniques with their validation summary and per-source counts, filtered and paginated', parameters('query', techniqueListQuery), 'a page of techniques: {total, offset, limit, items}'),
      '/api/techniques/{id}': op('The technique page (the JSON of `purplebook show --format json`)', [...parameters('path', techniqueParams), ...parameters('query', techniqueQuery)], 'the Page object', notFound),
      '/api/search': op('Search techniques, rules, tests and controls, ranked as the CLI and the site rank them: exact id, technique names, technique descriptions, then resources',
        parameters('query', searchQuery), 'a page of hits: {query, total, offset, limit, counts (per kind), hits: [{kind, ref, title, source, url, techniques, tier}]}'),
      '/api/sources': op('Every source with its upstream, commit, accessed date, counts and warnings count', [],
        'the statistics of `purplebook stats --json`, plus `catalog`: every source Purplebook knows, loaded or not (`purplebook sources --json`)'),
      '/api/measures': op('Measures a matrix or a layer can be coloured by', [], 'measures: [{id, label, kind, description}]'),
      '/api/layers/{measure}': op('ATT&CK Navigator layer (format 4.5) of one measure over one domain', [...layerParameters, ...parameters('query', layerQuery)], 'a Navigator layer', notFound),
      '/api/lineup': op('Line-up of a threat (or a whole domain) for a control stack: per technique its controls, rules and tests, per source, sorted (`purplebook lineup`)',
        parameters('query', lineupQuery), 'the line-up (format json); csv and markdown as text'),
      '/api/actors': op('ATT&CK groups, software and campaigns by id, name or alias (the threat picker of the coverage page)', parameters('query', actorsQuery), 'matches: {query, hits: [{id, kind, name, aliases, techniques}]}'),
      '/api/coverage': post('Own-rule coverage of a threat (or of a whole domain): the report of `purplebook coverage`', coverageBody, {
        'application/json': 'the coverage report (format json) or an ATT&CK Navigator layer (format layer)', 'text/csv': 'one row per technique (format csv)',
        'text/markdown': 'the report to read (format markdown)',
      }),
      '/api/plan': post('Purple-team test plan of a threat: the plan of `purplebook plan`', planBody, {
        'application/json': 'the plan (format json)', 'text/markdown': 'the plan to print (format markdown)',
      }),
      '/api/telemetry': post('Public rules a telemetry profile can run against a threat (or a whole domain), and the next log sources to add: `purplebook telemetry`', telemetryBody, {
        'application/json': 'the analysis (format json) or an ATT&CK Navigator layer (format layer)', 'text/csv': 'one row per technique (format csv)', 'text/markdown': 'the report (format markdown)',
      }),
      '/api/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3 document', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/healthz': { get: { summary: 'Liveness and the loaded knowledge base', responses: { 200: { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      ...results?.paths,
    },
    ...(results?.components ? { components: results.components } : {}),
  };
}
