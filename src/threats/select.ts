/**
 * Threat selection: ATT&CK groups, software and campaigns by id, name or alias; groups by profile
 * (motivation, victim industry/country, origin country); or a technique list / Navigator layer.
 * The threat's technique set comes from ATT&CK `uses` relationships; a sub-technique use also marks its parent.
 */
import type { ActorRow, KnowledgeBase } from '../kb/open.js';
import type { ThreatProfile } from './profiles.js';
import { closeValues } from '../page/suggest.js';
import { normalizeTechniqueId, isTechniqueId, replacementsOf } from '../resolve.js';
import { InputError } from '../core/errors.js';

export interface ThreatOptions {
  group?: string[];
  software?: string[];
  campaign?: string[];
  /** Content of a technique list file: plain ids, or a Navigator layer (JSON). */
  techniquesText?: string;
  techniquesName?: string;
  motivation?: string[];
  victimIndustry?: string[];
  victimCountry?: string[];
  originCountry?: string[];
}

export interface Threat {
  id: string;
  name: string;
  kind: ActorRow['kind'] | 'list';
  url: string | null;
  techniques: string[];
  profile?: ThreatProfile;
}

export interface ThreatSelection {
  threats: Threat[];
  /** Technique id → ids of the selected threats that use it. */
  techniques: Map<string, string[]>;
  /** Profile rows that matched the filters but could not be joined to the loaded ATT&CK. */
  unjoined: ThreatProfile[];
  /** Ids of the technique list that did not count, and why (unknown, not a technique id). */
  dropped?: { id: string; reason: string }[];
  /** Revoked ids of the technique list, counted as the techniques that replace them. */
  carried?: { id: string; ids: string[] }[];
}

export class ThreatError extends InputError {}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

export function hasThreatOptions(o: ThreatOptions): boolean {
  return !!(o.group?.length || o.software?.length || o.campaign?.length || o.techniquesText !== undefined || o.motivation?.length
    || o.victimIndustry?.length || o.victimCountry?.length || o.originCountry?.length);
}

function findActor(actors: ActorRow[], kind: ActorRow['kind'], query: string): ActorRow {
  const q = norm(query);
  const candidates = actors.filter((a) => a.kind === kind);
  const hit = candidates.find((a) => a.id.toLowerCase() === query.trim().toLowerCase())
    ?? candidates.find((a) => a.status === 'active' && norm(a.name) === q)
    ?? candidates.find((a) => a.status === 'active' && a.aliases.some((x) => norm(x) === q))
    ?? candidates.find((a) => norm(a.name) === q || a.aliases.some((x) => norm(x) === q));
  if (!hit) {
    // Typos ("Cozy Bare") and partial names, over names and aliases; the label is the actor's.
    const near = closeValues(query, candidates.filter((a) => a.status === 'active')
      .flatMap((a) => [a.name, ...a.aliases].map((x) => [x, `${a.id} (${a.name})${x === a.name ? '' : ` a.k.a. ${x}`}`] as const)));
    const merged = [...new Map(near.map((l) => [l.split(' ')[0], l])).values()];
    throw new ThreatError(`no ATT&CK ${kind} "${query}"${merged.length ? `; did you mean ${merged.join(', ')}?` : ''}`);
  }
  if (hit.status === 'revoked' && hit.revokedBy.length) {
    const next = actors.find((a) => a.id === hit.revokedBy[0]);
    if (next) return next;
  }
  return hit;
}

/** Adds each sub-technique's parent: a group using T1059.001 uses T1059. */
export function withParents(ids: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const id of ids) {
    out.add(id);
    if (id.includes('.')) out.add(id.split('.')[0]!);
  }
  return [...out].sort();
}

/** Technique ids from a plain list (any separators) or an ATT&CK Navigator layer. */
export function parseTechniqueList(text: string): string[] {
  return readTechniqueList(text).ids;
}

/**
 * Technique ids of a list, and the entries that are not technique ids: in a layer, a
 * `techniqueID` like `TA0001`; in a plain list, a token that starts like an id (`T105`, `T1059.1`).
 */
export function readTechniqueList(text: string): { ids: string[]; invalid: string[] } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let layer: { techniques?: { techniqueID?: unknown; enabled?: boolean; score?: unknown }[] };
    try {
      layer = JSON.parse(trimmed) as typeof layer;
    } catch (e) {
      throw new ThreatError(`technique file looks like JSON but is not valid: ${(e as Error).message}`);
    }
    if (!Array.isArray(layer.techniques)) throw new ThreatError('technique file is JSON but not a Navigator layer (no "techniques" list)');
    const wanted = layer.techniques
      .filter((t) => t && t.enabled !== false && typeof t.techniqueID === 'string' && (t.score === undefined || t.score === null || Number(t.score) > 0))
      .map((t) => normalizeTechniqueId(t.techniqueID as string));
    return { ids: [...new Set(wanted.filter(isTechniqueId))].sort(), invalid: [...new Set(wanted.filter((x) => !isTechniqueId(x)))] };
  }
  // Anything shaped like an ATT&CK id (`T1059.001`, a mistyped `T105`, a tactic `TA0002`).
  const tokens = trimmed.match(/\bTA?\d[\w.]*/gi) ?? [];
  const ids = tokens.map(normalizeTechniqueId);
  return { ids: [...new Set(ids.filter(isTechniqueId))].sort(), invalid: [...new Set(ids.filter((x) => !isTechniqueId(x)))] };
}

/** The profile filters, each with its name (the CLI's option and the API's field say the same) and the profile values it is matched against. */
const PROFILE_FILTERS = [
  { option: 'motivation', key: 'motivation', values: (p: ThreatProfile) => p.motivation },
  { option: 'victim industry', key: 'victimIndustry', values: (p: ThreatProfile) => p.victimIndustries },
  { option: 'victim country', key: 'victimCountry', values: (p: ThreatProfile) => p.victimCountries },
  { option: 'origin country', key: 'originCountry', values: (p: ThreatProfile) => (p.originCountry ? [p.originCountry] : []) },
] as const;

/**
 * Why profile filters matched no group: a value no group has (with the closest values that
 * exist), or values that each match groups but never together.
 */
function noProfileMatch(profiles: ThreatProfile[], o: ThreatOptions): ThreatError {
  const given = PROFILE_FILTERS.filter((f) => o[f.key]?.length);
  const parts: string[] = [];
  for (const f of given) {
    for (const w of o[f.key]!) {
      if (profiles.some((p) => matchesAny(f.values(p), [w]))) continue;
      const all = [...new Set(profiles.flatMap(f.values))].sort();
      const near = closeValues(w, all);
      parts.push(`${f.option} "${w}" matches no group${near.length ? ` (closest: ${near.join(', ')})` : ` (none of the ${all.length} known values is close; \`purplebook threats --json\` lists the profiles)`}`);
    }
  }
  const filters = given.map((f) => `${f.option} "${o[f.key]!.join(', ')}"`).join(' and ');
  if (parts.length) return new ThreatError(`empty threat selection: ${parts.join('; ')}`);
  const counts = given.map((f) => `${f.option} alone: ${profiles.filter((p) => matchesAny(f.values(p), o[f.key])).length}`).join(', ');
  return new ThreatError(`empty threat selection: no group matches all of ${filters} (groups matching ${counts})`);
}

function matchesAny(values: string[], wanted: string[] | undefined): boolean {
  if (!wanted?.length) return true;
  const v = values.map(norm);
  return wanted.some((w) => v.some((x) => x === norm(w) || x.includes(norm(w))));
}

export function selectProfiles(kb: KnowledgeBase, o: ThreatOptions): ThreatProfile[] {
  return kb.profiles().filter((p) => matchesAny(p.motivation, o.motivation) && matchesAny(p.victimIndustries, o.victimIndustry)
    && matchesAny(p.victimCountries, o.victimCountry) && matchesAny(p.originCountry ? [p.originCountry] : [], o.originCountry));
}

export function selectThreats(kb: KnowledgeBase, o: ThreatOptions): ThreatSelection {
  const actors = kb.actors();
  const threats = new Map<string, Threat>();
  const addActor = (a: ActorRow, profile?: ThreatProfile) => {
    if (threats.has(a.id)) return;
    threats.set(a.id, { id: a.id, name: a.name, kind: a.kind, url: a.url, techniques: withParents(kb.actorTechniques(a.id)), profile });
  };
  for (const q of o.group ?? []) addActor(findActor(actors, 'group', q));
  for (const q of o.software ?? []) addActor(findActor(actors, 'software', q));
  for (const q of o.campaign ?? []) addActor(findActor(actors, 'campaign', q));
  const unjoined: ThreatProfile[] = [];
  if (o.motivation?.length || o.victimIndustry?.length || o.victimCountry?.length || o.originCountry?.length) {
    const matched = selectProfiles(kb, o);
    if (!matched.length) throw noProfileMatch(kb.profiles(), o);
    for (const p of matched) {
      const a = p.actor ? actors.find((x) => x.id === p.actor) : undefined;
      if (a) addActor(a, p);
      else unjoined.push(p);
    }
  }
  const dropped: { id: string; reason: string }[] = [];
  const carried: { id: string; ids: string[] }[] = [];
  if (o.techniquesText !== undefined) {
    const list = readTechniqueList(o.techniquesText);
    for (const x of list.invalid) dropped.push({ id: x, reason: 'not a technique id' });
    const ids: string[] = [];
    for (const id of list.ids) {
      const t = kb.technique(id);
      if (!t) {
        dropped.push({ id, reason: `unknown to ATT&CK ${kb.attackVersion}` });
        continue;
      }
      if (t.status !== 'revoked') {
        ids.push(id);
        continue;
      }
      const next = replacementsOf(id, (x) => kb.technique(x));
      if (next.length) {
        carried.push({ id, ids: next });
        ids.push(...next);
      } else dropped.push({ id, reason: 'revoked, with no replacement' });
    }
    const name = o.techniquesName ?? 'technique list';
    if (!ids.length) {
      throw new ThreatError(`empty threat selection: ${name} holds no technique of ATT&CK ${kb.attackVersion}`
        + `${dropped.length ? ` (did not count: ${dropped.map((d) => `${d.id}: ${d.reason}`).join(', ')})` : ' (no technique id found in it)'}`);
    }
    threats.set('list', { id: 'list', name, kind: 'list', url: null, techniques: withParents(ids) });
  }
  const techniques = new Map<string, string[]>();
  for (const t of threats.values()) {
    for (const id of t.techniques) techniques.set(id, [...(techniques.get(id) ?? []), t.id]);
  }
  if (!techniques.size) {
    const what = [...threats.values()].map((t) => `${t.id} (${t.name})`);
    const lost = unjoined.map((p) => p.name);
    throw new ThreatError(`empty threat selection: ${what.length ? `${what.join(', ')} use${what.length === 1 ? 's' : ''} no technique of ATT&CK ${kb.attackVersion}` : 'no threat selected'}`
      + `${lost.length ? `; groups matched but not in the loaded ATT&CK: ${lost.join(', ')}` : ''}`);
  }
  return { threats: [...threats.values()], techniques, unjoined, dropped, carried };
}
