/**
 * Input schemas the tools share (zod: the SDK validates every call with them and publishes them
 * as JSON Schema). Every string and list is bounded; no field names a path on this machine.
 */
import { z } from 'zod';
import type { Domain } from '../attack/types.js';
import { parseDomain } from '../cli/common.js';
import type { KnowledgeBase } from '../kb/open.js';
import { hasThreatOptions, selectThreats, type ThreatOptions, type ThreatSelection } from '../threats/select.js';
import { ToolInputError } from './errors.js';
import type { PageBounds } from './paging.js';

const TECHNIQUE_ID = /^[Tt][0-9]{4}(\.[0-9]{3})?$/;

const names = (what: string) => z.array(z.string().min(1).max(200)).max(50).optional().describe(what);
const words = (what: string) => z.array(z.string().min(1).max(100)).max(20).optional().describe(what);

/** The threat of coverage, plan, layer and threat_techniques: the CLI's threat options, lists instead of repeated flags. */
export const threatShape = {
  group: names('ATT&CK groups by id, name or alias (G0016, APT29, Cozy Bear)'),
  software: names('ATT&CK software by id, name or alias (S0154, Cobalt Strike)'),
  campaign: names('ATT&CK campaigns by id or name (C0024)'),
  techniques: z.array(z.string().regex(TECHNIQUE_ID)).max(5000).optional().describe('a technique list as ids (T1059.001 …)'),
  motivation: words('threat profile: groups whose motivation matches (espionage, financial …)'),
  victim_industry: words('threat profile: groups that targeted this industry'),
  victim_country: words('threat profile: groups that targeted this country'),
  origin_country: words('threat profile: groups attributed to this country (RU, CN, KP, IR …)'),
};

export type ThreatArgs = { [K in keyof typeof threatShape]?: z.infer<(typeof threatShape)[K]> };

/** A control stack: source names (sigma, atomic-red-team …) or one stack named in the server's purplebook.config.json. */
export const stackField = z.array(z.string().min(1).max(100)).min(1).max(60).optional()
  .describe('control stack: count only these sources (sigma, elastic, atomic-red-team …) or a named stack; default every source');

export const domainField = z.enum(['enterprise', 'mobile', 'ics']).optional().describe('ATT&CK domain (default enterprise)');

export function domainOf(value: string | undefined): Domain {
  return parseDomain(value) ?? 'enterprise-attack';
}

/** `limit` and `cursor`; a limit above the maximum is clamped (the answer says so), not refused. */
export function pageShape(bounds: PageBounds, unit: string) {
  return {
    limit: z.number().int().min(1).optional()
      .describe(`${unit} per answer (default ${bounds.defaultLimit}; values above ${bounds.maxLimit} are clamped to ${bounds.maxLimit})`),
    cursor: z.string().max(100).optional().describe('nextCursor of the previous answer, for the next entries'),
  };
}

export function threatOptionsOf(a: ThreatArgs): ThreatOptions {
  return {
    group: a.group, software: a.software, campaign: a.campaign,
    techniquesText: a.techniques?.length ? a.techniques.join('\n') : undefined,
    techniquesName: a.techniques?.length ? 'techniques argument' : undefined,
    motivation: a.motivation, victimIndustry: a.victim_industry, victimCountry: a.victim_country, originCountry: a.origin_country,
  };
}

export const hasThreat = (a: ThreatArgs): boolean => hasThreatOptions(threatOptionsOf(a));

/** The threat selection of the arguments, or undefined when they name none; an empty selection is an error, not an empty answer. */
export function selectionOf(kb: KnowledgeBase, a: ThreatArgs): ThreatSelection | undefined {
  const o = threatOptionsOf(a);
  if (!hasThreatOptions(o)) return undefined;
  const selection = selectThreats(kb, o);
  if (!selection.threats.length) throw new ToolInputError('no ATT&CK group matches the threat-profile filters');
  if (!selection.techniques.size) throw new ToolInputError(`the selected threats use no technique of the loaded ATT&CK ${kb.attackVersion}`);
  return selection;
}
