/**
 * Threat selection: ATT&CK groups, software and campaigns by id, name or alias; groups by profile
 * (motivation, victim industry/country, origin country); or a technique list / Navigator layer.
 * The threat's technique set comes from ATT&CK `uses` relationships; a sub-technique use also marks its parent.
 */
import type { ActorRow, KnowledgeBase, ProfileRow } from '../kb/open.js';
import { normalizeTechniqueId, isTechniqueId } from '../resolve.js';

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
  profile?: ProfileRow;
}

export interface ThreatSelection {
  threats: Threat[];
  /** Technique id → ids of the selected threats that use it. */
  techniques: Map<string, string[]>;
  /** Profile rows that matched the filters but could not be joined to the loaded ATT&CK. */
  unjoined: ProfileRow[];
}

export class ThreatError extends Error {}

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
    const near = candidates.filter((a) => a.status === 'active' && [a.name, ...a.aliases].some((x) => norm(x).includes(q) || (q.length > 3 && q.includes(norm(x)))));
    throw new ThreatError(`no ATT&CK ${kind} "${query}"${near.length ? `; did you mean ${near.slice(0, 5).map((a) => `${a.id} (${a.name})`).join(', ')}?` : ''}`);
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
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let layer: { techniques?: { techniqueID?: unknown; enabled?: boolean; score?: unknown }[] };
    try {
      layer = JSON.parse(trimmed) as typeof layer;
    } catch (e) {
      throw new ThreatError(`technique file looks like JSON but is not valid: ${(e as Error).message}`);
    }
    if (!Array.isArray(layer.techniques)) throw new ThreatError('technique file is JSON but not a Navigator layer (no "techniques" list)');
    return [...new Set(layer.techniques
      .filter((t) => t && t.enabled !== false && typeof t.techniqueID === 'string' && (t.score === undefined || t.score === null || Number(t.score) > 0))
      .map((t) => normalizeTechniqueId(t.techniqueID as string)).filter(isTechniqueId))].sort();
  }
  return [...new Set((trimmed.match(/\bT\d{4}(?:\.\d{3})?\b/gi) ?? []).map(normalizeTechniqueId))].sort();
}

function matchesAny(values: string[], wanted: string[] | undefined): boolean {
  if (!wanted?.length) return true;
  const v = values.map(norm);
  return wanted.some((w) => v.some((x) => x === norm(w) || x.includes(norm(w))));
}

export function selectProfiles(kb: KnowledgeBase, o: ThreatOptions): ProfileRow[] {
  return kb.profiles().filter((p) => matchesAny(p.motivation, o.motivation) && matchesAny(p.victimIndustries, o.victimIndustry)
    && matchesAny(p.victimCountries, o.victimCountry) && matchesAny(p.originCountry ? [p.originCountry] : [], o.originCountry));
}

export function selectThreats(kb: KnowledgeBase, o: ThreatOptions): ThreatSelection {
  const actors = kb.actors();
  const threats = new Map<string, Threat>();
  const addActor = (a: ActorRow, profile?: ProfileRow) => {
    if (threats.has(a.id)) return;
    threats.set(a.id, { id: a.id, name: a.name, kind: a.kind, url: a.url, techniques: withParents(kb.actorTechniques(a.id)), profile });
  };
  for (const q of o.group ?? []) addActor(findActor(actors, 'group', q));
  for (const q of o.software ?? []) addActor(findActor(actors, 'software', q));
  for (const q of o.campaign ?? []) addActor(findActor(actors, 'campaign', q));
  const unjoined: ProfileRow[] = [];
  if (o.motivation?.length || o.victimIndustry?.length || o.victimCountry?.length || o.originCountry?.length) {
    for (const p of selectProfiles(kb, o)) {
      const a = p.actor ? actors.find((x) => x.id === p.actor) : undefined;
      if (a) addActor(a, p);
      else unjoined.push(p);
    }
  }
  if (o.techniquesText !== undefined) {
    const ids = parseTechniqueList(o.techniquesText).filter((id) => kb.technique(id));
    threats.set('list', { id: 'list', name: o.techniquesName ?? 'technique list', kind: 'list', url: null, techniques: withParents(ids) });
  }
  const techniques = new Map<string, string[]>();
  for (const t of threats.values()) {
    for (const id of t.techniques) techniques.set(id, [...(techniques.get(id) ?? []), t.id]);
  }
  return { threats: [...threats.values()], techniques, unjoined };
}
