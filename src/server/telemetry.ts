/**
 * POST /api/telemetry: what a telemetry profile (YAML text in the body) lets a team run against a
 * threat, and the next log sources to add, as `purplebook telemetry` prints it. Nothing sent is stored.
 */
import type { FastifyInstance } from 'fastify';
import type { NamedStacks } from '../kb/stack.js';
import { renderTelemetryCsv, renderTelemetryJson, renderTelemetryMarkdown, telemetryLayer } from '../render/telemetry.js';
import { analyzeTelemetry } from '../telemetry/analysis.js';
import { parseProfile, ProfileError } from '../telemetry/profile.js';
import { readRules } from '../telemetry/rules.js';
import { loadVocabulary } from '../telemetry/vocabulary.js';
import { scopeOf } from '../coverage/scope.js';
import { stackLabel } from '../kb/stack.js';
import { domainOf, selectionOf, type ThreatBody } from './coverage.js';
import { HttpError, TYPES, gen } from './http.js';
import { telemetryBody, type TELEMETRY_FORMATS } from './schemas.js';
import { stackFromQuery } from './stack.js';

interface TelemetryBody extends Omit<ThreatBody, 'rules'> {
  profile?: string;
  format: (typeof TELEMETRY_FORMATS)[number];
}

export function telemetryRoutes(app: FastifyInstance, opts: { stacks?: NamedStacks }): void {
  app.post<{ Body: TelemetryBody }>('/api/telemetry', { schema: { body: telemetryBody } }, async (req, reply) => {
    const g = gen(req);
    const b = req.body;
    if (b.profile === undefined) throw new HttpError(400, 'a telemetry analysis needs a profile: YAML text such as "- sysmon: [1, 3]" (`[]` for none)');
    const vocab = loadVocabulary();
    let profile;
    try {
      profile = parseProfile(b.profile, vocab);
    } catch (e) {
      if (e instanceof ProfileError) throw new HttpError(400, `profile: ${e.message}`);
      throw e;
    }
    const domain = domainOf(g.kb, b.domain);
    const selection = selectionOf(g.kb, b);
    const stack = stackFromQuery(g.kb, b.stack, opts.stacks ?? {});
    const scope = scopeOf(g.kb, domain, selection);
    const analysis = analyzeTelemetry(vocab, profile, readRules(g.kb, stack), scope.ids.map((id) => ({ id, name: scope.rows.get(id)?.name ?? id })));
    const who = selection?.threats.map((x) => (x.kind === 'list' ? x.name : `${x.name} (${x.id})`)).join(', ') ?? `all ${domain.replace('-attack', '')} techniques`;
    const head = { title: `Telemetry: what can run against ${who}`, domain, attackVersion: g.kb.attackVersion, ...(stack ? { stack: stackLabel(stack) } : {}) };
    // Computed from what the request sent: never cached.
    reply.header('cache-control', 'no-store');
    switch (b.format) {
      case 'markdown': return reply.type(TYPES.md).send(renderTelemetryMarkdown(head, analysis));
      case 'csv': return reply.type(TYPES.csv).send(renderTelemetryCsv(analysis));
      case 'layer': return reply.type(TYPES.json).send(`${JSON.stringify(telemetryLayer(head, analysis), null, 1)}\n`);
      default: return reply.type(TYPES.json).send(renderTelemetryJson(head, analysis));
    }
  });
}
