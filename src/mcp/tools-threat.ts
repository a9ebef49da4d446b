/**
 * Tools about a threat (ATT&CK groups, software, campaigns, a technique list or a threat profile):
 * its techniques, the own rules' coverage of them, a purple-team plan, a Navigator layer.
 * Own rules are only ever those of the folders given on the server's command line.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Domain } from '../attack/types.js';
import { pageUrlOf } from '../cli/own-rules.js';
import { layerOf, resolveMeasure } from '../cli/layer.js';
import { threatListing, threatOptionsOrCatalog } from '../cli/threats.js';
import { computeCoverage, type CoverageReport } from '../coverage/coverage.js';
import { buildPlan, type PlanTactic } from '../coverage/plan.js';
import type { KnowledgeBase } from '../kb/open.js';
import { coverageTitle } from '../render/coverage.js';
import { selectThreats } from '../threats/select.js';
import type { McpContext } from './context.js';
import { ToolInputError } from './errors.js';
import { domainField, domainOf, hasThreat, pageShape, selectionOf, stackField, threatShape } from './inputs.js';
import { stackOf } from '../cli/stack.js';
import { COVERAGE_TECHNIQUES, LAYER_TECHNIQUES, MAX_DETECTIONS, PLAN_TECHNIQUES, SIDE_LIST_MAX, THREATS } from './limits.js';
import { pageOf, pagingOf, windowOf } from './paging.js';
import { registerTool } from './tool.js';

/** Prioritized gaps named in the coverage tool's text. */
const TEXT_GAPS = 15;

const NO_RULES = 'this server was started without --rules: no own rule is loaded, so every technique counts as a gap';

function ensureDomain(kb: KnowledgeBase, domain: Domain): Domain {
  if (!kb.tactics().some((t) => t.domain === domain)) throw new ToolInputError(`${domain} is not in this knowledge base`);
  return domain;
}

/** A list cut to SIDE_LIST_MAX, with a note saying so. */
function capped<T>(list: T[], path: string, notes: string[]): T[] {
  if (list.length <= SIDE_LIST_MAX) return list;
  notes.push(`${path}: the first ${SIDE_LIST_MAX} of ${list.length} (the CLI's JSON lists all)`);
  return list.slice(0, SIDE_LIST_MAX);
}

function coverageText(r: CoverageReport, count: number): string {
  const s = r.summary;
  const byId = new Map(r.techniques.map((t) => [t.id, t]));
  const lines = [coverageTitle(r), '', `${s.covered} / ${s.total} techniques covered by own rules (${s.partial} partial, ${s.gaps} gaps); `
    + `${r.rules.total} own rules read, ${r.rules.inScope} in scope`, ''];
  lines.push('By tactic: ' + s.byTactic.map((t) => `${t.name} ${t.covered}/${t.total}`).join(', '), '');
  if (r.gaps.length) {
    lines.push(`Gaps in priority order (first ${Math.min(count, r.gaps.length)} of ${r.gaps.length}):`);
    for (const id of r.gaps.slice(0, count)) {
      const t = byId.get(id)!;
      lines.push(`${t.priority}. ${t.id} ${t.name} — ${t.status}; ${t.adoptableDetections} public detections to adopt, ${t.testVolume} tests${t.threats.length ? `; used by ${t.threats.join(', ')}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** The plan's techniques, in tactic order, cut to one window; every tactic stays (possibly empty) so pages concatenate. */
function planWindow(tactics: PlanTactic[], w: ReturnType<typeof windowOf>): { tactics: PlanTactic[]; returned: number; total: number } {
  let i = 0;
  let returned = 0;
  const out = tactics.map((t) => ({
    ...t,
    techniques: t.techniques.filter(() => {
      const inside = i >= w.offset && i < w.offset + w.limit;
      i++;
      if (inside) returned++;
      return inside;
    }),
  }));
  return { tactics: out, returned, total: i };
}

export function registerThreatTools(server: McpServer, ctx: McpContext): void {
  registerTool(server, ctx, 'threat_techniques', {
    title: 'Threats and their techniques',
    description: 'ATT&CK groups, software and campaigns by id, name or alias, or the groups of a threat profile (motivation, victim industry '
      + 'or country, origin country), each with its technique ids (a sub-technique use also marks its parent) and its profile; '
      + 'as `purplebook threats --json`. With no argument: every profiled group. An unknown name is an error with close matches.',
    input: { ...threatShape, ...pageShape(THREATS, 'threats') },
  }, (gen, a) => {
    const sel = hasThreat(a) ? selectionOf(gen.kb, a)! : selectThreats(gen.kb, threatOptionsOrCatalog(gen.kb, {}));
    const listing = threatListing(gen.kb, sel);
    const { items, paging } = pageOf(listing.threats, a, THREATS);
    const lines = items.map((t) => {
      const p = t.profile;
      const ids = t.techniques.length > 40 ? `${t.techniques.slice(0, 40).join(', ')} … (${t.techniques.length} in all)` : t.techniques.join(', ');
      return `${t.id} ${t.name} (${t.kind}, ${t.techniques.length} techniques${p ? `; origin ${p.originCountry ?? '?'}, ${p.motivation.join(', ') || 'motivation unknown'}` : ''}): ${ids}`;
    });
    lines.push('', `${listing.threats.length} threats, ${listing.techniques} techniques in all`);
    return { data: { ...listing, threats: items }, paging, text: lines.join('\n') };
  });

  registerTool(server, ctx, 'coverage', {
    title: 'Own-rule coverage of a threat',
    description: "The own detection rules of the server's rules folder (given on its command line) against a threat, or a whole domain "
      + 'without one: per technique covered / partial (only sub-techniques) / gap, by tactic, and the uncovered techniques in priority '
      + 'order (the threat uses it, public detections exist to adopt). Same report as `purplebook coverage --format json --rules DIR`. '
      + `The techniques list is paged (default ${COVERAGE_TECHNIQUES.defaultLimit}, max ${COVERAGE_TECHNIQUES.maxLimit}); the gap ids are always whole; `
      + `rule warnings and unknown ids are cut at ${SIDE_LIST_MAX}.`,
    input: { ...threatShape, domain: domainField, stack: stackField, ...pageShape(COVERAGE_TECHNIQUES, 'techniques') },
  }, (gen, a) => {
    const domain = ensureDomain(gen.kb, domainOf(a.domain));
    const rules = ctx.rules.current;
    const stack = stackOf(gen.kb, a.stack);
    const report = computeCoverage(gen.kb, { selection: selectionOf(gen.kb, a), rules, domain, stack, summaries: gen.model.summaries });
    const { items, paging } = pageOf(report.techniques, a, COVERAGE_TECHNIQUES);
    const notes = rules ? [] : [NO_RULES];
    const r = report.rules;
    const data: CoverageReport = {
      ...report, techniques: items, excluded: capped(report.excluded, 'data.excluded', notes),
      rules: {
        ...r, unmapped: capped(r.unmapped, 'data.rules.unmapped', notes), unknownIds: capped(r.unknownIds, 'data.rules.unknownIds', notes),
        revoked: capped(r.revoked, 'data.rules.revoked', notes), warnings: capped(r.warnings, 'data.rules.warnings', notes),
      },
    };
    return { data, paging, notes, text: coverageText(report, TEXT_GAPS) };
  });

  registerTool(server, ctx, 'plan', {
    title: 'Purple-team plan',
    description: 'A purple-team test plan of a threat, as `purplebook plan --format json`: per tactic and technique the public tests to run '
      + '(for the chosen platforms), the detections that should fire (own rules of the server first, else public candidates) and the controls '
      + `to check; techniques no public test covers are listed in untested. The techniques are paged (default ${PLAN_TECHNIQUES.defaultLimit}, `
      + `max ${PLAN_TECHNIQUES.maxLimit}) across tactics: each page keeps every tactic, with that page's techniques only.`,
    input: {
      ...threatShape,
      platform: z.array(z.string().regex(/^[A-Za-z0-9 ./()&+-]{1,60}$/)).max(20).optional().describe('windows, linux, macos … (default every platform)'),
      domain: domainField,
      stack: stackField,
      max_detections: z.number().int().min(0).optional().describe(`public detection candidates per technique (default 8; above ${MAX_DETECTIONS} clamped)`),
      ...pageShape(PLAN_TECHNIQUES, 'techniques'),
    },
  }, (gen, a) => {
    const domain = ensureDomain(gen.kb, domainOf(a.domain));
    const selection = selectionOf(gen.kb, a);
    if (!selection) throw new ToolInputError('plan needs a threat: group, software, campaign, techniques or a threat-profile field');
    const maxDetections = a.max_detections === undefined ? undefined : Math.min(a.max_detections, MAX_DETECTIONS);
    const plan = buildPlan(gen.kb, { selection, rules: ctx.rules.current, platforms: a.platform, domain, maxDetections, stack: stackOf(gen.kb, a.stack) });
    const w = windowOf(a, PLAN_TECHNIQUES);
    const { tactics, returned, total } = planWindow(plan.tactics, w);
    const s = plan.summary;
    const lines = [plan.title, '', `${s.techniques} techniques, ${s.tested} with a public test (${s.tests} tests), ${s.withOwnRule} with an own rule, `
      + `${s.withPublicDetection} with a public detection; untested: ${plan.untested.map((t) => t.id).join(', ') || 'none'}`, ''];
    for (const tactic of tactics) {
      for (const t of tactic.techniques) {
        lines.push(`${tactic.name} / ${t.id} ${t.name} — ${t.tests.length} tests to run; ${t.ownRules ? `${t.ownRules} own rules` : `no own rule, ${t.publicDetections} public detections`}; ${t.controls.length + t.moreControls} controls`);
      }
    }
    return { data: { ...plan, tactics }, paging: pagingOf(w, PLAN_TECHNIQUES, returned, total), text: lines.join('\n') };
  });

  registerTool(server, ctx, 'layer', {
    title: 'ATT&CK Navigator layer',
    description: 'An ATT&CK Navigator layer (format 4.5) of one measure, as `purplebook layer --measure M`: validation (class), controls, '
      + 'detections, tests, a source name (sigma, atomic-red-team …: its resource count), own (the server\'s own rules; needs --rules on the '
      + 'server) or threat (needs a threat). A threat also restricts the other measures to its techniques. '
      + `The techniques list is paged (default ${LAYER_TECHNIQUES.defaultLimit}, max ${LAYER_TECHNIQUES.maxLimit}): concatenate the pages for the whole layer.`,
    input: {
      measure: z.string().min(1).max(100).optional().describe('validation (default), controls, detections, tests, a source name, own or threat'),
      ...threatShape,
      domain: domainField,
      stack: stackField,
      page_base: z.string().max(500).regex(/^https?:\/\/\S+$/i).optional().describe('address of a Purplebook site: each technique links to its page there'),
      ...pageShape(LAYER_TECHNIQUES, 'techniques'),
    },
  }, (gen, a) => {
    const domain = ensureDomain(gen.kb, domainOf(a.domain));
    const measure = resolveMeasure(gen.kb, a.measure ?? 'validation');
    const selection = selectionOf(gen.kb, a);
    if (measure === 'threat' && !selection) throw new ToolInputError('measure threat needs a threat: group, software, campaign, techniques or a threat-profile field');
    if (measure === 'own' && !ctx.rules.current) throw new ToolInputError(`measure own needs own rules: ${NO_RULES}`);
    if (measure === 'results') throw new ToolInputError('measure results reads a results file: use `purplebook layer --measure results --results FILE`; the MCP server has none');
    const layer = layerOf(gen.kb, measure, { selection, rules: ctx.rules.current, domain, pageUrl: pageUrlOf(a.page_base), stack: stackOf(gen.kb, a.stack) });
    if (a.page_base) layer.links = [{ label: 'Purplebook', url: a.page_base }, ...layer.links];
    const { items, paging } = pageOf(layer.techniques, a, LAYER_TECHNIQUES);
    const scored = layer.techniques.filter((t) => t.enabled !== false && (t.score ?? 0) > 0).length;
    const text = `ATT&CK Navigator layer "${layer.name}" (${layer.domain}): ${layer.techniques.length} techniques, ${scored} scored above 0. `
      + 'Save data as a .json file and open it in ATT&CK Navigator (concatenate the techniques of every page first).';
    return { data: { ...layer, techniques: items }, paging, text };
  });
}
