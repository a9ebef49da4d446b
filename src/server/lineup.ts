/**
 * The line-up routes: the page (`/lineup`, a GET form whose URL is the view) and `/api/lineup`,
 * both computed from the query and the knowledge base only, so they are cached per URL like pages.
 */
import type { FastifyInstance } from 'fastify';
import { buildLineup, LineupError, type Lineup, type LineupSort } from '../coverage/lineup.js';
import type { KnowledgeBase } from '../kb/open.js';
import type { NamedStacks } from '../kb/stack.js';
import { renderLineupCsv, renderLineupJson, renderLineupMarkdown } from '../render/lineup.js';
import { SERVER_LINKS } from '../site/layout.js';
import { lineupPage, type LineupForm } from '../site/lineup-page.js';
import { DOMAIN_PAGES } from '../site/model.js';
import { selectThreats, ThreatError, type ThreatSelection } from '../threats/select.js';
import { HttpError, TYPES, gen, parseDomain, sendCached } from './http.js';
import type { Generation } from './holder.js';
import { lineupQuery } from './schemas.js';
import { stackFromQuery } from './stack.js';

interface LineupQuery {
  group?: string[];
  software?: string[];
  campaign?: string[];
  techniques?: string[];
  stack?: string[];
  sort: string;
  tactic?: string[];
  lowestLevel: boolean;
  domain: string;
  format: 'json' | 'csv' | 'markdown';
}

/** Text fields hold comma-separated lists; empty fields (an empty input of the form) say nothing. */
const list = (values: string[] | undefined, split = /,/) => (values ?? []).flatMap((v) => v.split(split)).map((v) => v.trim()).filter(Boolean);

function formOf(q: LineupQuery): LineupForm {
  const domain = parseDomain(q.domain)!;
  return {
    group: list(q.group), software: list(q.software), campaign: list(q.campaign), techniques: list(q.techniques, /[\s,;]+/).map((t) => t.toUpperCase()),
    stack: list(q.stack).map((s) => s.toLowerCase()), sort: q.sort, tactic: list(q.tactic), lowestLevel: q.lowestLevel,
    domain: DOMAIN_PAGES.find((d) => d.domain === domain)?.slug ?? 'enterprise',
  };
}

function selectionOf(kb: KnowledgeBase, f: LineupForm): ThreatSelection | undefined {
  if (!f.group.length && !f.software.length && !f.campaign.length && !f.techniques.length) return undefined;
  let selection: ThreatSelection;
  try {
    selection = selectThreats(kb, {
      group: f.group, software: f.software, campaign: f.campaign,
      ...(f.techniques.length ? { techniquesText: f.techniques.join('\n'), techniquesName: 'technique list' } : {}),
    });
  } catch (e) {
    if (e instanceof ThreatError) throw new HttpError(400, e.message);
    throw e;
  }
  if (!selection.techniques.size) throw new HttpError(400, 'the chosen threats use no technique of the loaded ATT&CK');
  return selection;
}

function compute(g: Generation, f: LineupForm, named: NamedStacks): Lineup {
  const domain = DOMAIN_PAGES.find((d) => d.slug === f.domain)!.domain;
  if (!g.model.domains().some((d) => d.domain === domain)) throw new HttpError(400, `${domain} is not in this knowledge base`);
  const stack = stackFromQuery(g.kb, f.stack.length ? f.stack : undefined, named);
  const selection = selectionOf(g.kb, f);
  try {
    return buildLineup(g.kb, {
      selection, stack, domain, lowestLevel: f.lowestLevel, tactics: f.tactic, sort: f.sort as LineupSort, summaries: g.model.summaries,
    });
  } catch (e) {
    if (e instanceof LineupError) throw new HttpError(400, e.message);
    throw e;
  }
}

export function lineupRoutes(app: FastifyInstance, opts: { stacks: NamedStacks }): void {
  for (const path of ['/lineup', '/lineup.html']) {
    app.get<{ Querystring: LineupQuery }>(path, { schema: { querystring: lineupQuery } }, async (req, reply) => {
      const g = gen(req);
      const form = formOf(req.query);
      // An empty query (the first visit) shows the form only: a whole-domain line-up is one click away.
      if (!req.url.includes('?')) {
        return sendCached(req, reply, TYPES.html, () => lineupPage(g.model, SERVER_LINKS, form, null));
      }
      let lineup: Lineup;
      try {
        lineup = compute(g, form, opts.stacks);
      } catch (e) {
        if (!(e instanceof HttpError) || e.statusCode !== 400) throw e;
        // The form stays, with what was wrong: a 400 the user can correct in place.
        return reply.code(400).header('cache-control', 'no-store').type(TYPES.html).send(lineupPage(g.model, SERVER_LINKS, form, null, e.message));
      }
      return sendCached(req, reply, TYPES.html, () => lineupPage(g.model, SERVER_LINKS, form, lineup));
    });
  }

  app.get<{ Querystring: LineupQuery }>('/api/lineup', { schema: { querystring: lineupQuery } }, async (req, reply) => {
    const g = gen(req);
    const form = formOf(req.query);
    const lineup = compute(g, form, opts.stacks);
    if (req.query.format === 'csv') {
      const sources = g.kb.sources().filter((s) => s.loaded && (!lineup.stack || lineup.stack.sources.includes(s.name))).map((s) => s.name);
      return sendCached(req, reply, TYPES.csv, () => renderLineupCsv(lineup, sources));
    }
    if (req.query.format === 'markdown') return sendCached(req, reply, TYPES.md, () => renderLineupMarkdown(lineup));
    return sendCached(req, reply, TYPES.json, () => renderLineupJson(lineup));
  });
}
