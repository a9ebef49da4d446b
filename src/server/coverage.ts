/**
 * The coverage API: own-rule coverage and purple-team plans of a threat, computed per request
 * from the rules in the body (or the server's rules folder), and the threat picker's search.
 * Nothing a request sends is stored or written anywhere.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Domain } from '../attack/types.js';
import { BaselineError, readBaseline } from '../coverage/baseline.js';
import { computeCoverage } from '../coverage/coverage.js';
import { buildPlan } from '../coverage/plan.js';
import { layerContextOf } from '../kb/layer-context.js';
import type { ActorRow, KnowledgeBase } from '../kb/open.js';
import { renderCoverageCsv, renderCoverageJson, renderCoverageMarkdown } from '../render/coverage.js';
import { ownRulesLayer } from '../render/layer.js';
import { renderPlanJson, renderPlanMarkdown } from '../render/plan.js';
import type { OwnRuleSet } from '../rules/types.js';
import { hasThreatOptions, selectThreats, ThreatError, type ThreatOptions, type ThreatSelection } from '../threats/select.js';
import type { NamedStacks } from '../kb/stack.js';
import { findActors } from './actors.js';
import { stackFromQuery } from './stack.js';
import { HttpError, TYPES, gen, parseDomain, schemaErrorsText, sendCached, unknownFieldOf, type SchemaError } from './http.js';
import type { ServerLimits } from './limits.js';
import type { RulesJob, ServerRules, UploadedFile } from './rules.js';
import { JobFailedError, JobTimeoutError, PoolBusyError, type WorkerPool } from './worker-pool.js';
import { MAX_ACTOR_LIMIT, actorsQuery, coverageBody, planBody, type COVERAGE_FORMATS, type PLAN_FORMATS } from './schemas.js';

export interface ThreatBody {
  group?: string[];
  software?: string[];
  campaign?: string[];
  techniques?: string[];
  techniqueList?: string;
  techniqueListName?: string;
  motivation?: string[];
  victimIndustry?: string[];
  victimCountry?: string[];
  originCountry?: string[];
  domain: string;
  /** Control stack: public controls, rules and tests of these sources only. */
  stack?: string[];
  rules?: UploadedFile[];
}

interface CoverageBody extends ThreatBody {
  baseline?: string;
  pageBase?: string;
  format: (typeof COVERAGE_FORMATS)[number];
}

interface PlanBody extends ThreatBody {
  platforms?: string[];
  maxDetections: number;
  format: (typeof PLAN_FORMATS)[number];
}

export interface CoverageRouteOptions {
  rules: ServerRules;
  /** Named stacks a body's `stack` may name. */
  stacks?: NamedStacks;
  limits: ServerLimits;
  /** Reads uploaded rules off the event loop. */
  parser: WorkerPool<RulesJob, OwnRuleSet>;
}

/** Where the rules of a computation came from: the `x-purplebook-rules` header says it. */
type RulesOrigin = 'uploaded' | 'server' | 'none';

function threatOptionsOf(b: ThreatBody): ThreatOptions {
  if (b.techniques?.length && b.techniqueList !== undefined) throw new HttpError(400, 'give either techniques (ids) or techniqueList (a file), not both');
  const techniquesText = b.techniqueList ?? (b.techniques?.length ? b.techniques.join('\n') : undefined);
  return {
    group: b.group, software: b.software, campaign: b.campaign, techniquesText,
    techniquesName: techniquesText === undefined ? undefined : b.techniqueListName ?? 'technique list',
    motivation: b.motivation, victimIndustry: b.victimIndustry, victimCountry: b.victimCountry, originCountry: b.originCountry,
  };
}

/** The threat selection of a body; undefined when it names no threat. Unknown names are a 400 with ATT&CK's near matches. */
export function selectionOf(kb: KnowledgeBase, b: ThreatBody): ThreatSelection | undefined {
  const o = threatOptionsOf(b);
  if (!hasThreatOptions(o)) return undefined;
  let selection: ThreatSelection;
  try {
    selection = selectThreats(kb, o);
  } catch (e) {
    if (e instanceof ThreatError) throw new HttpError(400, e.message);
    throw e;
  }
  if (!selection.threats.length) throw new HttpError(400, 'no ATT&CK group matches the threat-profile filters');
  if (!selection.techniques.size) throw new HttpError(400, 'the selected threats use no technique of the loaded ATT&CK');
  return selection;
}

export function domainOf(kb: KnowledgeBase, value: string): Domain {
  const domain = parseDomain(value)!;
  if (!kb.tactics().some((t) => t.domain === domain)) throw new HttpError(400, `${domain} is not in this knowledge base`);
  return domain;
}

/** Uploaded rules, read by a worker thread within the time budget; the server's rules otherwise. */
async function rulesOf(b: ThreatBody, opts: CoverageRouteOptions): Promise<{ rules?: OwnRuleSet; origin: RulesOrigin }> {
  if (!b.rules) {
    const rules = opts.rules.current;
    return rules ? { rules, origin: 'server' } : { origin: 'none' };
  }
  const { limits } = opts;
  try {
    const rules = await opts.parser.run({ kind: 'upload', files: b.rules, limits }, limits.parseBudgetMs);
    return { rules, origin: 'uploaded' };
  } catch (e) {
    if (e instanceof PoolBusyError) throw new HttpError(503, `too many rule uploads at once: ${e.message}; try again shortly`);
    if (e instanceof JobTimeoutError) {
      throw new HttpError(422, `reading the uploaded rules took longer than ${limits.parseBudgetMs} ms (parseBudgetMs): send fewer or smaller files`);
    }
    if (e instanceof JobFailedError) {
      // The thread's own message may name server files (a module it could not load): it stays in the log.
      if (!e.outOfMemory) throw e;
      throw new HttpError(422, `cannot read the uploaded rules: ${e.message} (parseWorkerHeapMb ${limits.parseWorkerHeapMb})`);
    }
    throw e;
  }
}

/**
 * Every rule is listed under each technique it maps to, so a few kilobytes of rule text can ask
 * for a report of hundreds of megabytes (1.9 MB asked for 301 MB). Counted before anything is
 * computed: the references, and an upper bound of the bytes they take in a report.
 */
function checkReferences(rules: OwnRuleSet | undefined, limits: ServerLimits): void {
  if (!rules) return;
  let refs = 0;
  let bytes = 0;
  for (const r of rules.rules) {
    const n = r.techniqueIds.length;
    refs += n;
    // A reference repeats the rule's key, file, title and id, with JSON punctuation and indentation.
    bytes += n * (r.key.length + r.file.length + r.title.length + (r.id?.length ?? 0) + 160);
  }
  if (refs > limits.maxRuleReferences) {
    throw new HttpError(422, `the rules map to ${refs} techniques in all (counting each rule's ids), over the limit of ${limits.maxRuleReferences} (maxRuleReferences)`);
  }
  if (bytes > limits.maxResponseBytes) {
    throw new HttpError(422, `the report would list about ${bytes} bytes of rule references, over the ${limits.maxResponseBytes}-byte response limit (maxResponseBytes): send fewer rules`);
  }
}

function send(reply: FastifyReply, origin: RulesOrigin, type: string, text: string, file?: string): FastifyReply {
  // Computed from what the request sent: never cached, by the browser or anything between.
  reply.header('cache-control', 'no-store').header('x-purplebook-rules', origin).type(type);
  if (file) reply.header('content-disposition', `attachment; filename="${file}"`);
  return reply.send(text);
}

/** Schema errors as one message; an unknown field is named (Ajv would only say "property name must be valid"). */
function bodyErrorFormatter(allowed: string[]) {
  return (errors: SchemaError[], dataVar: string): Error => {
    const unknown = unknownFieldOf(errors);
    if (unknown) return new Error(`unknown field "${unknown.name.slice(0, 60)}" in the body; known fields: ${allowed.join(', ')}`);
    return new Error(schemaErrorsText(errors, dataVar));
  };
}

export function coverageRoutes(app: FastifyInstance, opts: CoverageRouteOptions): void {
  app.get<{ Querystring: { q: string; kind?: ActorRow['kind']; domain?: string; limit: number } }>('/api/actors',
    { schema: { querystring: actorsQuery } }, async (req, reply) => {
      const g = gen(req);
      const limit = Math.min(req.query.limit, MAX_ACTOR_LIMIT);
      return sendCached(req, reply, TYPES.json, () => JSON.stringify({
        query: req.query.q, limit, hits: findActors(g.kb, req.query.q, { kind: req.query.kind, domain: parseDomain(req.query.domain), limit }),
      }));
    });

  /** Checks `text` against maxResponseBytes, then sends it: a last net under checkReferences. */
  const sendBounded = (reply: FastifyReply, origin: RulesOrigin, type: string, text: string, file?: string) => {
    const max = opts.limits.maxResponseBytes;
    if (text.length > max / 3 && Buffer.byteLength(text) > max) {
      throw new HttpError(422, `the response would be ${Buffer.byteLength(text)} bytes, over the ${max}-byte limit (maxResponseBytes)`);
    }
    return send(reply, origin, type, text, file);
  };

  /** The rules of a request, bounded; a client that left while they were read gets nothing more computed. */
  const boundedRules = async (req: FastifyRequest, b: ThreatBody) => {
    const got = await rulesOf(b, opts);
    if (req.raw.socket?.destroyed) throw new HttpError(400, 'the client closed the connection');
    checkReferences(got.rules, opts.limits);
    return got;
  };

  /**
   * Large uploads admitted at once: as many as the parser threads and their queue can take. The
   * count starts before the body is read, so bodies that no parser could take are never buffered
   * (8 clients sending 5 MB each would otherwise all be read and parsed as JSON, then refused).
   */
  let admitted = 0;
  const admissions = opts.limits.parseThreads + opts.limits.maxQueuedParses;
  const refuseWhenBusy = async (req: FastifyRequest, reply: FastifyReply) => {
    const length = req.headers['content-length'];
    // A chunked body announces no length: it counts as large.
    if (length !== undefined && Number(length) <= 64 * 1024) return;
    if (admitted >= admissions) {
      // The connection closes after the answer: reading and dropping megabytes of a body nobody will parse would keep the event loop busy.
      reply.header('connection', 'close');
      throw new HttpError(503, 'too many rule uploads at once: every parser thread is busy and the queue is full; try again shortly');
    }
    admitted++;
    reply.raw.once('close', () => admitted--);
  };

  /** A POST route's options: its body schema, the body limit and the admission of large uploads. */
  const bodyRoute = (body: { propertyNames: { enum: string[] } }) => ({
    schema: { body }, bodyLimit: opts.limits.maxBodyBytes, onRequest: refuseWhenBusy, schemaErrorFormatter: bodyErrorFormatter(body.propertyNames.enum),
  });

  /** What both computations read first: the knowledge base, the body, its domain and its threat. */
  const threatOf = (req: FastifyRequest, b: ThreatBody) => {
    const g = gen(req);
    return { g, domain: domainOf(g.kb, b.domain), selection: selectionOf(g.kb, b) };
  };

  app.post<{ Body: CoverageBody }>('/api/coverage', bodyRoute(coverageBody), async (req, reply) => {
    const b = req.body;
    const { g, domain, selection } = threatOf(req, b);
    let baseline: string[] | undefined;
    if (b.baseline !== undefined) {
      try {
        baseline = readBaseline(b.baseline);
      } catch (e) {
        if (e instanceof BaselineError) throw new HttpError(400, e.message);
        throw e;
      }
    }
    const { rules, origin } = await boundedRules(req, b);
    const stack = stackFromQuery(g.kb, b.stack, opts.stacks ?? {});
    const report = computeCoverage(g.kb, { selection, rules, domain, baseline, summaries: g.model.summaries, stack });
    switch (b.format) {
      case 'csv': return sendBounded(reply, origin, TYPES.csv, renderCoverageCsv(report), 'purplebook-coverage.csv');
      case 'markdown': return sendBounded(reply, origin, TYPES.md, renderCoverageMarkdown(report), 'purplebook-coverage.md');
      case 'layer': {
        const base = b.pageBase ? (b.pageBase.endsWith('/') ? b.pageBase : `${b.pageBase}/`) : undefined;
        const layer = ownRulesLayer({ context: layerContextOf(g.kb), report, pageUrl: base ? (id) => `${base}techniques/${id}.html` : undefined });
        return sendBounded(reply, origin, TYPES.json, `${JSON.stringify(layer, null, 1)}\n`, 'purplebook-coverage-layer.json');
      }
      default: return sendBounded(reply, origin, TYPES.json, renderCoverageJson(report));
    }
  });

  app.post<{ Body: PlanBody }>('/api/plan', bodyRoute(planBody), async (req, reply) => {
    const b = req.body;
    const { g, domain, selection } = threatOf(req, b);
    if (!selection) throw new HttpError(400, 'a plan needs a threat: group, software, campaign, techniques, techniqueList or a profile field');
    const { rules, origin } = await boundedRules(req, b);
    const stack = stackFromQuery(g.kb, b.stack, opts.stacks ?? {});
    const plan = buildPlan(g.kb, { selection, rules, platforms: b.platforms, domain, maxDetections: b.maxDetections, stack });
    return b.format === 'markdown'
      ? sendBounded(reply, origin, TYPES.md, renderPlanMarkdown(plan), 'purplebook-plan.md')
      : sendBounded(reply, origin, TYPES.json, renderPlanJson(plan));
  });
}
