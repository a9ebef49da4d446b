import { fileProblem } from '../core/errors.js';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { hasThreatOptions, selectProfiles, selectThreats, type Threat, type ThreatOptions, type ThreatSelection } from '../threats/select.js';
import type { Domain } from '../attack/types.js';
import { scopeOf } from '../coverage/scope.js';
import type { KnowledgeBase } from '../kb/open.js';
import type { ThreatProfile } from '../threats/profiles.js';
import { CliError, dbOption, EXIT_BAD_INPUT, formatOf, out, withFormatOptions, withKb } from './common.js';

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)];

/** Adds the threat options shared by threats, coverage, layer and plan. */
export function withThreatOptions(cmd: Command): Command {
  return cmd
    .option('--group <id|name>', 'ATT&CK group by id, name or alias (repeatable, or comma-separated)', collect)
    .option('--software <id|name>', 'ATT&CK software by id, name or alias', collect)
    .option('--campaign <id|name>', 'ATT&CK campaign by id or name', collect)
    .option('--techniques <file>', 'technique list: plain ids or an ATT&CK Navigator layer')
    .option('--motivation <text>', 'groups whose motivation matches (threat profile)', collect)
    .option('--victim-industry <text>', 'groups that targeted this industry', collect)
    .option('--victim-country <text>', 'groups that targeted this country', collect)
    .option('--origin-country <code>', 'groups attributed to this country (e.g. RU, CN, KP, IR)', collect);
}

export interface RawThreatOpts {
  group?: string[];
  software?: string[];
  campaign?: string[];
  techniques?: string;
  motivation?: string[];
  victimIndustry?: string[];
  victimCountry?: string[];
  originCountry?: string[];
}

export function threatOptions(o: RawThreatOpts): ThreatOptions {
  let techniquesText: string | undefined;
  if (o.techniques) {
    try {
      techniquesText = readFileSync(o.techniques, 'utf8');
    } catch (e) {
      throw new CliError(`--techniques ${o.techniques} ${fileProblem(e, 'a Navigator layer or a technique list') ?? `cannot be read: ${(e as Error).message}`}`, EXIT_BAD_INPUT);
    }
  }
  return {
    group: o.group, software: o.software, campaign: o.campaign, techniquesText, techniquesName: o.techniques,
    motivation: o.motivation, victimIndustry: o.victimIndustry, victimCountry: o.victimCountry, originCountry: o.originCountry,
  };
}

/**
 * Threat selection with user errors (unknown group, bad layer, empty selection) mapped to exit
 * code 2; ids of a technique list that did not count are named on stderr.
 */
export function selectOrFail(kb: KnowledgeBase, o: ThreatOptions): ThreatSelection {
  const sel = selectThreats(kb, o);
  const file = o.techniquesName ?? 'technique list';
  if (sel.dropped?.length) {
    process.stderr.write(`purplebook: --techniques ${file}: ${sel.dropped.length} id${sel.dropped.length === 1 ? '' : 's'} did not count: `
      + `${sel.dropped.map((d) => `${d.id} (${d.reason})`).join(', ')}\n`);
  }
  if (sel.carried?.length) {
    process.stderr.write(`purplebook: --techniques ${file}: revoked ids counted as their replacement: ${sel.carried.map((c) => `${c.id} → ${c.ids.join(', ')}`).join('; ')}\n`);
  }
  return sel;
}

/**
 * A selection none of whose techniques is an active technique of `domain` (a mobile group in an
 * enterprise report, a list of deprecated ids) would report "0 / 0": bad input, with the reasons.
 */
export function requireScope(kb: KnowledgeBase, selection: ThreatSelection, domain: Domain): void {
  const scope = scopeOf(kb, domain, selection);
  if (scope.ids.length) return;
  const reasons = new Map<string, string[]>();
  for (const e of scope.excluded) reasons.set(e.reason, [...(reasons.get(e.reason) ?? []), e.id]);
  const why = [...reasons].map(([reason, ids]) => `${reason}: ${ids.length <= 5 ? ids.join(', ') : `${ids.length} techniques`}`).join('; ');
  const who = selection.threats.map((t) => (t.kind === 'list' ? t.name : `${t.id} (${t.name})`)).join(', ');
  throw new CliError(`empty selection: no technique of ${who} is an active ${domain.replace('-attack', '')} technique (${why}); try --domain`, EXIT_BAD_INPUT);
}

/** Without any option, every profiled group (the threat-modeling catalog). */
export function threatOptionsOrCatalog(kb: KnowledgeBase, o: ThreatOptions): ThreatOptions {
  return hasThreatOptions(o) ? o : { group: [...new Set(selectProfiles(kb, {}).map((p) => p.actor).filter((x): x is string => !!x))] };
}

export interface ThreatListing {
  threats: (Threat & { profile?: ThreatProfile })[];
  unjoined: { name: string; stixId: string }[];
  /** Distinct techniques of all the threats. */
  techniques: number;
}

/** What `threats --json` prints (shared with the MCP `threat_techniques` tool): each threat with its profile. */
export function threatListing(kb: KnowledgeBase, sel: ThreatSelection): ThreatListing {
  const profiles = new Map(kb.profiles().filter((p) => p.actor).map((p) => [p.actor!, p]));
  const threats = sel.threats.map((t) => ({ ...t, profile: t.profile ?? (t.kind === 'group' ? profiles.get(t.id) : undefined) }));
  return { threats, unjoined: sel.unjoined.map((p) => ({ name: p.name, stixId: p.stixId })), techniques: sel.techniques.size };
}

export function registerThreats(program: Command): void {
  withFormatOptions(withThreatOptions(program.command('threats'))
    .description('list the selected threats (groups by profile, or by id/name) with their profile and technique counts'), ['text', 'json'], 'text')
    .addOption(dbOption())
    .action(async (raw: RawThreatOpts & { format?: string; json?: boolean; db?: string }) => {
      const format = formatOf(raw, ['text', 'json'], 'text');
      await withKb(raw.db, async (kb) => {
        const listing = threatListing(kb, selectOrFail(kb, threatOptionsOrCatalog(kb, threatOptions(raw))));
        if (format === 'json') return out(`${JSON.stringify(listing, null, 2)}\n`);
        const lines = listing.threats.map((t) => {
          const p = t.profile;
          const prof = p ? ` — origin ${p.originCountry ?? '?'}; ${p.motivation.join(', ') || 'motivation unknown'}; targets ${p.victimIndustries.slice(0, 6).join(', ')}${p.victimIndustries.length > 6 ? '…' : ''}` : '';
          return `${t.id.padEnd(6)} ${t.name} (${t.techniques.length} techniques)${prof}`;
        });
        if (listing.unjoined.length) lines.push('', `Not joined to the loaded ATT&CK ${kb.attackVersion}: ${listing.unjoined.map((p) => p.name).join(', ')}`);
        lines.push('', `${listing.threats.length} threats, ${listing.techniques} techniques in all`);
        return out(`${lines.join('\n')}\n`);
      });
    });
}
