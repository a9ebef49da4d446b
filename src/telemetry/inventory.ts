/**
 * Rules per log source per source, like sigma-cli's `analyze logsource` across every rule source:
 * each upstream log-source reference with its rule count and the canonical id it maps to, and each
 * source's share of rules whose telemetry is unknown, with why.
 */
import type { LogSourceRef } from '../sources/types.js';
import { needOf, refLabel, resolveRef } from './match.js';
import type { TelemetryRule } from './rules.js';
import type { Vocabulary } from './vocabulary.js';

export interface LogSourceCount {
  scheme: LogSourceRef['scheme'];
  product?: string;
  category?: string;
  service?: string;
  name?: string;
  channel?: string;
  label: string;
  /** The canonical id, `ignored` for a catch-all name, null when the vocabulary does not map it. */
  canonical: string | null;
  rules: number;
}

export interface SourceInventory {
  source: string;
  rules: number;
  /** Rules that can never be matched to a profile: no log source, or only unmapped/catch-all ones. */
  unknown: { rules: number; share: number; notStated: number; namesNone: number; unmappedOnly: number; catchAllOnly: number };
  /** One sentence: where the unknown share comes from. */
  why: string;
  logSources: LogSourceCount[];
}

export interface UnmappedName {
  source: string;
  scheme: LogSourceRef['scheme'];
  label: string;
  rules: number;
}

const refKey = (r: LogSourceRef) => JSON.stringify([r.scheme, r.product ?? null, r.category ?? null, r.service ?? null, r.name ?? null, r.channel ?? null]);

function explain(s: SourceInventory): string {
  const u = s.unknown;
  if (!s.rules) return 'no rules';
  if (!u.rules) return 'every rule names log sources the vocabulary maps';
  if (u.notStated === s.rules) return 'the connector does not extract log sources for this source (no facet on any rule)';
  const parts = [
    u.notStated ? `${u.notStated} with no log-source facet (the upstream field is absent)` : '',
    u.namesNone ? `${u.namesNone} naming no log source (the upstream field is empty)` : '',
    u.unmappedOnly ? `${u.unmappedOnly} naming only log sources the vocabulary does not map (see --unmapped)` : '',
    u.catchAllOnly ? `${u.catchAllOnly} naming only catch-all indexes or packages (winlogbeat-*, logs-*, the windows integration) that do not say which events` : '',
  ].filter(Boolean);
  return parts.join('; ');
}

export function inventory(v: Vocabulary, rules: TelemetryRule[]): SourceInventory[] {
  const bySource = new Map<string, TelemetryRule[]>();
  for (const r of rules) {
    const list = bySource.get(r.source);
    if (list) list.push(r);
    else bySource.set(r.source, [r]);
  }
  const out: SourceInventory[] = [];
  for (const [source, list] of [...bySource].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const counts = new Map<string, LogSourceCount>();
    const unknown = { rules: 0, share: 0, notStated: 0, namesNone: 0, unmappedOnly: 0, catchAllOnly: 0 };
    for (const rule of list) {
      const seen = new Set<string>();
      for (const ref of rule.logSources ?? []) {
        const k = refKey(ref);
        if (seen.has(k)) continue;
        seen.add(k);
        let c = counts.get(k);
        if (!c) {
          const res = resolveRef(v, ref);
          c = {
            scheme: ref.scheme, label: refLabel(ref),
            ...(ref.product !== undefined ? { product: ref.product } : {}), ...(ref.category !== undefined ? { category: ref.category } : {}),
            ...(ref.service !== undefined ? { service: ref.service } : {}), ...(ref.name !== undefined ? { name: ref.name } : {}),
            ...(ref.channel !== undefined ? { channel: ref.channel } : {}),
            canonical: res.state === 'mapped' ? res.alternatives.map((a) => a.join('+')).join(' | ') : res.state === 'ignored' ? 'ignored' : null, rules: 0,
          };
          counts.set(k, c);
        }
        c.rules++;
      }
      const need = needOf(v, rule.logSources);
      if (need.alternatives.length) continue;
      unknown.rules++;
      if (rule.logSources === undefined) unknown.notStated++;
      else if (!rule.logSources.length) unknown.namesNone++;
      else if (need.unmapped.length) unknown.unmappedOnly++;
      else unknown.catchAllOnly++;
    }
    unknown.share = list.length ? unknown.rules / list.length : 0;
    const inv: SourceInventory = {
      source, rules: list.length, unknown, why: '',
      logSources: [...counts.values()].sort((a, b) => b.rules - a.rules || (a.label < b.label ? -1 : 1)),
    };
    inv.why = explain(inv);
    out.push(inv);
  }
  return out;
}

/** Upstream names the vocabulary does not know, most used first: what to add to it next. */
export function unmappedNames(inv: SourceInventory[]): UnmappedName[] {
  return inv.flatMap((s) => s.logSources.filter((c) => c.canonical === null).map((c) => ({ source: s.source, scheme: c.scheme, label: c.label, rules: c.rules })))
    .sort((a, b) => b.rules - a.rules || (a.label < b.label ? -1 : 1));
}
