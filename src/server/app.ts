/**
 * `purplebook serve`: the site's pages rendered from the knowledge base on request, and a
 * read-only JSON API. Every parameter is validated by a JSON schema; nothing is read from disk
 * but the knowledge base (and the rules folder given at startup), so there is no path to traverse.
 * Coverage and plan requests compute from what they send and store nothing.
 */
import compress from '@fastify/compress';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { createHash } from 'node:crypto';
import { constants as zlib } from 'node:zlib';
import { sourceCatalog } from '../kb/catalog.js';
import { layerContextOf } from '../kb/layer-context.js';
import { computeStats } from '../kb/stats.js';
import { buildPage } from '../page/build.js';
import { closeMatches, closeValues } from '../page/suggest.js';
import { searchKb } from '../search/index.js';
import type { SearchGroup } from '../search/rank.js';
import { navigatorLayer } from '../render/layer.js';
import { renderMarkdown } from '../render/markdown.js';
import { COVERAGE_JS, FAVICON_SVG, SITE_CSS, SITE_JS } from '../site/assets.js';
import { coveragePage } from '../site/coverage-page.js';
import { CONTENT_SECURITY_POLICY, SERVER_LINKS } from '../site/layout.js';
import { VALIDATION_ORDER, listMeasures } from '../page/measures.js';
import { summariesForStack, summariesOf, type TechniqueSummary } from '../page/summary.js';
import { DOMAIN_PAGES, dataScript } from '../site/model.js';
import { searchPieceScript } from '../site/search-files.js';
import { itemViewsData } from '../render/html.js';
import { SITE_LAYER_MEASURES, errorPage, indexPage, matrixPage, searchPage, techniquePage } from '../site/pages.js';
import { sourcesPage } from '../site/sources.js';
import type { NamedStacks, Stack } from '../kb/stack.js';
import { coverageRoutes } from './coverage.js';
import { telemetryRoutes } from './telemetry.js';
import { lineupRoutes } from './lineup.js';
import { stackFromQuery } from './stack.js';
import { HttpError, TYPES, gen, parseDomain, sendCached } from './http.js';
import { KbHolder, type Generation, type HolderOptions } from './holder.js';
import { hostAllowed, hostMatcher } from './hosts.js';
import { serverLimits, type ServerLimits } from './limits.js';
import { ServerResults, resultsRoutes, type ResultsServerOptions } from './results.js';
import { RESULTS_MEASURE } from '../results/matrix.js';
import { RULES_WORKER, ServerRules, type RulesJob } from './rules.js';
import { WorkerPool } from './worker-pool.js';
import type { OwnRuleSet } from '../rules/types.js';
import { PURPLEBOOK_VERSION } from '../util/version.js';
import {
  MAX_LIST_LIMIT, MAX_SEARCH_LIMIT, VALIDATION_ALIASES, dataParams, layerParams, layerQuery, openApiDocument, pageParams, searchQuery,
  techniqueListQuery, techniqueParams, techniqueQuery,
} from './schemas.js';

export const SERVER_VERSION = PURPLEBOOK_VERSION;

export interface ServerOptions extends HolderOptions {
  dbPath: string;
  /** Fastify logger options (off by default). */
  logger?: FastifyServerOptions['logger'];
  /** Own-rule folders or files (`serve --rules`): used by coverage and plan requests that send no rules. */
  rules?: string[];
  /** Largest accepted body of POST /api/coverage and /api/plan (default 5 MB); larger gets a 413. Same as `limits.maxBodyBytes`. */
  maxBodyBytes?: number;
  /** Sizes, counts and timeouts (limits.ts); unset ones keep their defaults. */
  limits?: Partial<ServerLimits>;
  /**
   * Host names (and addresses) requests may be addressed to, besides the localhost names; `*`
   * allows any. A page on another name is refused with 421, so a DNS rebinding page cannot read
   * the server (`hosts.ts`).
   */
  allowedHosts?: readonly string[];
  /** Told when the rules folder cannot be re-read on a reload (the rules read before stay in use). */
  onRulesError?: (error: Error) => void;
  /** `serve --results`: technique pages show validation results; with tokens, POST /api/results writes them. */
  results?: ResultsServerOptions;
  /** Named control stacks (`"stacks"` of purplebook.config.json) that `stack=` may name. */
  stacks?: NamedStacks;
}

declare module 'fastify' {
  interface FastifyRequest {
    gen: Generation | null;
    etag: string | null;
  }
  interface FastifyInstance {
    /** Counts of the rules read from `ServerOptions.rules` (undefined without a rules folder). */
    readonly purplebookRules: ServerRules['summary'];
    /** Resolves when the rules folder is not being re-read (tests, benchmarks). */
    purplebookRulesSettled(): Promise<void>;
  }
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 421: 'Misdirected Request', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

const isApi = (req: FastifyRequest) => /^\/(api\/|healthz)/.test(req.url);
const pathOf = (req: FastifyRequest) => req.url.split('?')[0]!;
/** Browsers get an HTML error page; API clients and scripts (curl sends *\/*) get JSON. */
const wantsHtml = (req: FastifyRequest) => /\btext\/html\b/.test(req.headers.accept ?? '');

/** Prefix from the requested path back to the site root, so error pages link correctly from any depth. */
function baseOf(req: FastifyRequest): string {
  const depth = Math.max(0, pathOf(req).split('/').length - 2);
  return '../'.repeat(Math.min(depth, 8));
}

const json = (value: unknown) => JSON.stringify(value);

const searchShardParams = {
  type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', pattern: '^((words-|counts-)?[a-z0-9_]{1,8}|uuid-[0-9a-f]{2})\\.js$' } },
} as const;

const techniqueDataParams = {
  type: 'object', additionalProperties: false, required: ['file'],
  properties: { file: { type: 'string', pattern: '^[Tt][0-9]{4}(\\.[0-9]{3})?\\.js$', maxLength: 20 } },
} as const;

function publicSummary(t: TechniqueSummary) {
  return {
    id: t.id, name: t.name, domain: t.domain, status: t.status, isSubtechnique: t.isSub, parent: t.parent, tactics: t.tactics,
    platforms: t.platforms, ...t.summary, counts: t.counts, guidance: t.guidance,
  };
}

export function createServer(opts: ServerOptions): FastifyInstance {
  const limits = serverLimits({ maxBodyBytes: opts.maxBodyBytes, ...opts.limits });
  // Reads the rules folder and opens the knowledge base now: a missing one fails here, not on the first request.
  const rules = new ServerRules(opts.rules ?? [], limits, opts.onRulesError);
  const holder = new KbHolder(opts.dbPath, {
    ...opts,
    onReload: (g) => {
      rules.reload();
      opts.onReload?.(g);
    },
  });
  let results: ServerResults | undefined;
  try {
    results = opts.results ? new ServerResults(opts.results) : undefined;
  } catch (e) {
    holder.close();
    void rules.close();
    throw e;
  }
  const parser = new WorkerPool<RulesJob, OwnRuleSet>(RULES_WORKER, {
    size: limits.parseThreads, maxQueue: limits.maxQueuedParses,
    resourceLimits: { maxOldGenerationSizeMb: limits.parseWorkerHeapMb, maxYoungGenerationSizeMb: 16 },
  });
  const app = Fastify({
    logger: opts.logger ?? false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 120 },
    bodyLimit: 1024,
    // A request (headers and body) must arrive in time: slow bodies would otherwise hold sockets and memory forever.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs) },
  });
  app.decorate('purplebookRules', { getter: () => rules.summary });
  app.decorate('purplebookRulesSettled', () => rules.settled());
  app.decorateRequest('gen', null);
  app.decorateRequest('etag', null);
  app.addHook('onClose', async () => {
    await Promise.all([parser.close(), rules.close()]);
    holder.close();
    results?.close();
  });
  hooks(app, holder, hostMatcher(opts.allowedHosts));
  app.register(compress, {
    global: true, threshold: 1024, encodings: ['br', 'gzip'], brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
  });
  // Routes load after the compress plugin, so its onRoute hook sees every one of them.
  const ctx: RouteContext = { rules, limits, parser, stacks: opts.stacks ?? {}, results };
  app.register((scope, _opts, done) => {
    routes(scope, ctx);
    done();
  });
  return app;
}

function hooks(app: FastifyInstance, holder: KbHolder, allowed: (host: string) => boolean): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host, allowed)) {
      const host = (req.headers.host ?? '').slice(0, 100);
      return sendError(req, reply, 421, `this server does not answer to the host name "${host}": start it with --allowed-host ${JSON.stringify(host.replace(/:\d+$/, ''))} to allow it`);
    }
  });

  // The lease is taken once the body has arrived (preHandler runs after parsing and validation):
  // a slow upload must not pin a knowledge base that a rebuild has replaced.
  app.addHook('preHandler', async (req, reply) => {
    const g = holder.acquire();
    req.gen = g;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      holder.release(g);
    };
    reply.raw.once('close', release);
    reply.raw.once('finish', release);
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    // The body of a URL only changes with the knowledge base: build id + URL is a complete ETag.
    req.etag = `W/"${g.buildId}-${createHash('sha1').update(req.url).digest('base64url').slice(0, 16)}"`;
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim() === req.etag)) {
      return reply.code(304).header('etag', req.etag).header('cache-control', 'no-cache').send();
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (reply.statusCode === 200 && req.etag && !reply.hasHeader('cache-control')) {
      reply.header('etag', req.etag);
      // Assets change only with Purplebook itself; pages and data with each build (revalidated by ETag).
      reply.header('cache-control', pathOf(req).startsWith('/assets/') ? 'public, max-age=3600' : 'no-cache');
    }
    return payload;
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; suggestions?: string[] }, req, reply) => {
    const status = err.validation ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : err.statusCode === 503 ? 503 : 500;
    if (status === 500) req.log.error(err);
    const message = status === 500 ? 'internal error' : err.message;
    return sendError(req, reply, status, message, err.suggestions, holder);
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, 404, `no such page: ${pathOf(req).slice(0, 200)}`, undefined, holder));
}

function sendError(req: FastifyRequest, reply: FastifyReply, status: number, message: string, suggestions?: string[], holder?: KbHolder): FastifyReply {
  reply.code(status).header('cache-control', 'no-store');
  if (status === 503) reply.header('retry-after', '5');
  // Errors before the lease (a bad body, a refused host) render with the current knowledge base, synchronously: nothing can close it meanwhile.
  const model = req.gen?.model ?? (status === 421 ? undefined : holder?.current.model);
  if (isApi(req) || !model || !wantsHtml(req)) {
    return reply.type(TYPES.json).send(json({ statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message, ...(suggestions?.length ? { suggestions } : {}) }));
  }
  const text = suggestions?.length ? `${message}. Did you mean ${suggestions.join(', ')}?` : message;
  return reply.type(TYPES.html).send(errorPage(model, SERVER_LINKS, status, text, baseOf(req)));
}

interface RouteContext {
  rules: ServerRules;
  stacks: NamedStacks;
  limits: ServerLimits;
  parser: WorkerPool<RulesJob, OwnRuleSet>;
  results?: ServerResults;
}

function routes(app: FastifyInstance, ctx: RouteContext): void {
  /* -------------------------------------------------------------- pages */

  const page = (path: string, render: (g: Generation) => string) => {
    for (const p of path === '/' ? ['/', '/index.html'] : [path, `${path}.html`]) {
      app.get(p, async (req, reply) => sendCached(req, reply, TYPES.html, () => render(gen(req))));
    }
  };
  page('/', (g) => indexPage(g.model, SERVER_LINKS, ctx.results ? [...SITE_LAYER_MEASURES, RESULTS_MEASURE] : SITE_LAYER_MEASURES));
  page('/search', (g) => searchPage(g.model, SERVER_LINKS));
  page('/sources', (g) => sourcesPage(g.model, SERVER_LINKS));
  page('/coverage', (g) => coveragePage(g.model, SERVER_LINKS, { serverRules: ctx.rules.summary, maxBodyBytes: ctx.limits.maxBodyBytes }));
  for (const d of DOMAIN_PAGES) {
    app.get(`/${d.slug}`, matrixRoute(d.slug));
    app.get(`/${d.slug}.html`, matrixRoute(d.slug));
  }

  function matrixRoute(slug: string) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const domain = gen(req).model.domains().find((d) => d.slug === slug);
      if (!domain) throw new HttpError(404, `the ${slug} matrix is not in this knowledge base`);
      // With --results the menu lists the results measure; its values come with the data file, per request.
      const g = gen(req);
      return sendCached(req, reply, TYPES.html, () => matrixPage(g.model, domain, SERVER_LINKS, ctx.results?.matrixData(g.kb, g.model.matrixData(domain.domain), false)));
    };
  }

  app.get<{ Params: { file: string } }>('/techniques/:file', { schema: { params: pageParams } }, async (req, reply) => {
    const m = /^([Tt]\d{4}(?:\.\d{3})?)(?:\.(html|md))?$/.exec(req.params.file)!;
    const id = m[1]!.toUpperCase();
    const g = gen(req);
    const t = g.kb.technique(id);
    if (!t) throw new HttpError(404, `unknown technique ${id} in ATT&CK ${g.kb.attackVersion}`, closeMatches(g.kb, id));
    const markdown = m[2] === 'md';
    const render = () => {
      const p = buildPage(g.kb, id)!;
      if (markdown) return renderMarkdown(p, { techniqueHref: (x) => `${x}.md` }) + (ctx.results?.pageMarkdown(g.kb, id) ?? '');
      return techniquePage(g.model, p, SERVER_LINKS, ctx.results?.pageHtml(g.kb, id));
    };
    // Results change without a rebuild: pages that show them are rendered per request, never cached.
    if (ctx.results) return reply.header('cache-control', 'no-store').type(markdown ? TYPES.md : TYPES.html).send(render());
    return sendCached(req, reply, markdown ? TYPES.md : TYPES.html, render);
  });

  app.get('/data/search-techniques.js', async (req, reply) => sendCached(req, reply, TYPES.js,
    () => dataScript('PURPLEBOOK_SEARCH_TECHNIQUES', gen(req).model.searchFiles().list)));
  app.get<{ Params: { file: string } }>('/data/search/:file', { schema: { params: searchShardParams } }, async (req, reply) => {
    const script = searchPieceScript(gen(req).model.searchFiles(), req.params.file);
    if (!script) throw new HttpError(404, `no search file ${req.params.file}`);
    return sendCached(req, reply, TYPES.js, script);
  });

  // The data file a heavy technique page loads on demand (details, long lists); any technique has one here.
  app.get<{ Params: { file: string } }>('/data/techniques/:file', { schema: { params: techniqueDataParams } }, async (req, reply) => {
    const id = req.params.file.slice(0, -3).toUpperCase();
    const g = gen(req);
    if (!g.kb.technique(id)) throw new HttpError(404, `unknown technique ${id} in ATT&CK ${g.kb.attackVersion}`, closeMatches(g.kb, id));
    return sendCached(req, reply, TYPES.js, () => dataScript('PURPLEBOOK_DETAILS', itemViewsData(buildPage(g.kb, id)!)));
  });

  app.get('/assets/purplebook.css', async (req, reply) => sendCached(req, reply, TYPES.css, () => SITE_CSS));
  app.get('/assets/purplebook.js', async (req, reply) => sendCached(req, reply, TYPES.js, () => SITE_JS));
  app.get('/assets/coverage.js', async (req, reply) => sendCached(req, reply, TYPES.js, () => COVERAGE_JS));
  app.get('/assets/favicon.svg', async (req, reply) => sendCached(req, reply, TYPES.svg, () => FAVICON_SVG));
  app.get<{ Params: { file: string } }>('/data/:file', { schema: { params: dataParams } }, async (req, reply) => {
    const g = gen(req);
    const file = req.params.file;
    if (file === 'search.js') return sendCached(req, reply, TYPES.js, () => dataScript('PURPLEBOOK_SEARCH', g.model.searchData()));
    const domain = g.model.domains().find((d) => file === `matrix-${d.slug}.js`);
    if (!domain) throw new HttpError(404, `${file}: that matrix is not in this knowledge base`);
    // Results change without a rebuild: a matrix that shows them is computed per request, never cached.
    if (ctx.results) return reply.header('cache-control', 'no-store').type(TYPES.js).send(dataScript('PURPLEBOOK_MATRIX', ctx.results.matrixData(g.kb, g.model.matrixData(domain.domain))));
    return sendCached(req, reply, TYPES.js, () => dataScript('PURPLEBOOK_MATRIX', g.model.matrixData(domain.domain)));
  });

  /* -------------------------------------------------------------- API */

  app.get('/healthz', async (req, reply) => {
    const g = gen(req);
    reply.header('cache-control', 'no-store').type(TYPES.json);
    return json({ status: 'ok', attackVersion: g.kb.attackVersion, builtAt: g.kb.meta('built_at') ?? null, buildId: g.buildId });
  });

  app.get('/api/openapi.json', async (req, reply) => sendCached(req, reply, TYPES.json, () => json(openApiDocument(SERVER_VERSION, {
    results: ctx.results ? { writable: ctx.results.writable, limits: ctx.limits } : undefined,
  }))));

  interface ListQuery {
    domain?: string; tactic?: string; platform?: string; validation?: string; source?: string; status: string; subtechniques: boolean;
    stack?: string[]; limit: number; offset: number;
  }
  app.get<{ Querystring: ListQuery }>('/api/techniques', { schema: { querystring: techniqueListQuery } }, async (req, reply) => {
    const g = gen(req);
    const q = req.query;
    const limit = Math.min(q.limit, MAX_LIST_LIMIT);
    const stack = stackFromQuery(g.kb, q.stack, ctx.stacks);
    const filter = techniqueFilter(g, q, stack);
    return sendCached(req, reply, TYPES.json, () => {
      // Volumes and classes for the stack by the one definition (page/validation.ts), then filtered.
      const items = summariesForStack(g.model.summaries, g.kb.sources(), stack).filter(filter);
      return json({ total: items.length, offset: q.offset, limit, items: items.slice(q.offset, q.offset + limit).map(publicSummary) });
    });
  });

  function techniqueFilter(g: Generation, q: ListQuery, stack: Stack | undefined): (t: TechniqueSummary) => boolean {
    const domain = parseDomain(q.domain);
    let tactics: Set<string> | undefined;
    if (q.tactic) {
      const want = q.tactic.toLowerCase();
      const found = g.kb.tactics().filter((t) => (!domain || t.domain === domain)
        && (t.shortname === want || t.id.toLowerCase() === want || t.name.toLowerCase() === want));
      if (!found.length) throw new HttpError(400, `unknown tactic "${q.tactic}"${domain ? ` in ${domain}` : ''}: use a shortname (lateral-movement), an id (TA0008) or a name`);
      tactics = new Set(found.map((t) => `${t.domain}/${t.shortname}`));
    }
    const platform = q.platform?.toLowerCase();
    if (platform && !g.model.summaries.some((t) => t.platforms.some((p) => p.toLowerCase() === platform))) {
      throw new HttpError(400, `unknown platform "${q.platform}"`);
    }
    const validation = q.validation ? VALIDATION_ALIASES[q.validation] ?? q.validation : undefined;
    if (validation && !VALIDATION_ORDER.includes(validation as never)) throw new HttpError(400, `unknown validation class "${q.validation}"`);
    if (q.source && !g.kb.sources().some((s) => s.name === q.source && s.loaded)) {
      throw new HttpError(400, `unknown source "${q.source}": /api/sources lists the loaded ones`);
    }
    if (q.source && stack && !stack.sources.includes(q.source)) throw new HttpError(400, `source "${q.source}" is not in the stack`);
    return (t) => (q.status === 'all' || t.status === q.status)
      && (!domain || t.domain === domain)
      && (q.subtechniques || !t.isSub)
      && (!tactics || t.tactics.some((s) => tactics.has(`${t.domain}/${s}`)))
      && (!platform || t.platforms.some((p) => p.toLowerCase() === platform))
      && (!validation || t.summary.validation === validation)
      && (!q.source || (t.counts[q.source] ?? 0) > 0);
  }

  app.get<{ Params: { id: string }; Querystring: { includeDeprecated: boolean } }>('/api/techniques/:id',
    { schema: { params: techniqueParams, querystring: techniqueQuery } }, async (req, reply) => {
      const g = gen(req);
      const id = req.params.id.toUpperCase();
      if (!g.kb.technique(id)) throw new HttpError(404, `unknown technique ${id} in ATT&CK ${g.kb.attackVersion}`, closeMatches(g.kb, id));
      return sendCached(req, reply, TYPES.json, () => json(buildPage(g.kb, id, { includeDeprecated: req.query.includeDeprecated })));
    });

  app.get<{ Querystring: { q: string; limit: number; offset: number; kind?: string; source?: string } }>('/api/search', { schema: { querystring: searchQuery } }, async (req, reply) => {
    const g = gen(req);
    const limit = Math.min(req.query.limit, MAX_SEARCH_LIMIT);
    const sources = req.query.source?.split(',');
    const loaded = g.kb.sources().filter((s) => s.loaded).map((s) => s.name);
    const unknown = sources?.find((s) => !loaded.includes(s));
    if (unknown) throw new HttpError(400, `unknown source ${unknown}`, closeValues(unknown, loaded));
    const kinds = req.query.kind?.split(',') as SearchGroup[] | undefined;
    return sendCached(req, reply, TYPES.json, () => json(searchKb(g.kb, { query: req.query.q, limit, offset: req.query.offset, kinds, sources })));
  });

  app.get('/api/sources', async (req, reply) => sendCached(req, reply, TYPES.json, () => {
    const g = gen(req);
    const rows = new Map(g.kb.sources().map((s) => [s.name, s]));
    const stats = computeStats(g.kb);
    return json({
      ...stats,
      sources: stats.sources.map((s) => {
        const r = rows.get(s.name)!;
        return { ...s, homepage: r.homepage, branch: r.branch, commitDate: r.commitDate, accessedFrom: r.accessedFrom, license: r.license };
      }),
      // Every source Purplebook knows, loaded or not (`purplebook sources --json`); `sources` above keeps the loaded-source statistics.
      catalog: sourceCatalog(g.kb),
    });
  }));

  coverageRoutes(app, ctx);
  telemetryRoutes(app, { stacks: ctx.stacks });
  lineupRoutes(app, { stacks: ctx.stacks });
  if (ctx.results) resultsRoutes(app, ctx.results, ctx.limits);

  app.get('/api/measures', async (req, reply) => sendCached(req, reply, TYPES.json, () => json([
    ...gen(req).model.measures.map(({ id, label, kind, description }) => ({ id, label, kind, description })),
    ...(ctx.results ? [ctx.results.measure] : []),
  ])));

  app.get<{ Params: { measure: string }; Querystring: { domain: string; stack?: string[] } }>('/api/layers/:measure',
    { schema: { params: layerParams, querystring: layerQuery } }, async (req, reply) => {
      const g = gen(req);
      const domain = parseDomain(req.query.domain)!;
      if (!g.model.domains().some((d) => d.domain === domain)) throw new HttpError(404, `${domain} is not in this knowledge base`);
      const stack = stackFromQuery(g.kb, req.query.stack, ctx.stacks);
      if (ctx.results && req.params.measure === RESULTS_MEASURE) {
        return reply.header('cache-control', 'no-store').type(TYPES.json).send(json(ctx.results.layer(g.kb, domain)));
      }
      const measures = stack ? listMeasures(g.kb, stack) : g.model.measures;
      const measure = measures.find((m) => m.id === req.params.measure);
      if (!measure) throw new HttpError(404, `unknown measure "${req.params.measure}"${stack ? ' in this stack' : ''}`, measures.map((m) => m.id));
      return sendCached(req, reply, TYPES.json, () => json(navigatorLayer({
        context: layerContextOf(g.kb), measure, domain, summaries: summariesOf(g.kb, stack, g.model.summaries), stack,
      })));
    });
}
