/**
 * What telemetry a rule needs, in canonical ids, and whether a profile has it. A rule's log-source
 * references are alternatives (Sigma names one; an Elastic rule lists the indexes it searches, any
 * of which feeds it; Splunk lists the data sources its data model accepts); one reference may need
 * several ids together (Splunk's "Sysmon EventID 1 AND Sysmon EventID 11"). So a need is a list of
 * alternatives, each a list of ids needed together.
 */
import type { LogSourceRef } from '../sources/types.js';
import { aliasKey, sigmaKey, type Vocabulary } from './vocabulary.js';

export interface RuleNeed {
  /** Alternatives, each the ids needed together; empty: nothing the vocabulary knows. */
  alternatives: string[][];
  /** Upstream names the vocabulary does not map (`--unmapped`), as labels. */
  unmapped: string[];
  /** The rule's source states log sources for it (facets present and non-empty). */
  stated: boolean;
}

export type RuleStatus = 'runnable' | 'blocked' | 'unknown';

/** `windows/process_creation`, `sentinel SecurityEvent`, `attack WinEventLog:Sysmon EventCode=1`: a reference for people. */
export function refLabel(ref: LogSourceRef): string {
  if (ref.scheme === 'sigma') return `sigma ${[ref.product, ref.category, ref.service].map((x) => x ?? '*').join('/')}`;
  const name = ref.scheme === 'eql' ? `${ref.product ?? '*'}/${ref.name ?? ''}` : ref.name ?? '';
  return `${ref.scheme} ${name}${ref.channel ? ` ${ref.channel}` : ''}`.trim();
}

/** `EventCode=3, 22` → ['3', '22']; anything else → []. Linear: split, then test each short piece. */
function eventCodes(channel: string | undefined): string[] {
  if (!channel || channel.length > 300) return [];
  const m = /^\s*event\s*(?:code|id)\s*[=:]\s*([\d,\s]{1,200})$/i.exec(channel);
  return m ? m[1]!.split(/[,\s]+/).filter((x) => /^\d{1,6}$/.test(x)) : [];
}

export type RefResolution = { state: 'mapped'; alternatives: string[][] } | { state: 'ignored' } | { state: 'unmapped' };

/** One reference in canonical ids. */
export function resolveRef(v: Vocabulary, ref: LogSourceRef): RefResolution {
  if (ref.scheme === 'sigma') {
    const id = v.aliases.get(sigmaKey(ref.product, ref.category, ref.service));
    return id ? { state: 'mapped', alternatives: [[id]] } : { state: 'unmapped' };
  }
  const name = ref.name?.trim();
  if (!name) return { state: 'unmapped' };
  if (ref.scheme === 'attack') {
    // An analytic names a channel and event codes (`EventCode=3, 22`): any of the events will do.
    const codes = eventCodes(ref.channel).map((c) => v.aliases.get(aliasKey('attack', `${name}/EventCode=${c}`)));
    if (codes.length && codes.every(Boolean)) return { state: 'mapped', alternatives: codes.map((id) => [id!]) };
  }
  if (ref.scheme === 'splunk' && / AND /i.test(name)) {
    const parts = name.split(/ AND /i).map((p) => v.aliases.get(aliasKey('splunk', p)));
    return parts.every(Boolean) ? { state: 'mapped', alternatives: [[...new Set(parts as string[])]] } : { state: 'unmapped' };
  }
  // An EQL event category means nothing without its OS: `windows/process`, `/process` when the analytic names none.
  const key = aliasKey(ref.scheme, ref.scheme === 'eql' ? `${ref.product ?? ''}/${name}` : name);
  const id = v.aliases.get(key);
  if (id) return { state: 'mapped', alternatives: [[id]] };
  return v.ignored.has(key) ? { state: 'ignored' } : { state: 'unmapped' };
}

/** A rule's need from its log-source facet (undefined: its source does not state telemetry). */
export function needOf(v: Vocabulary, refs: LogSourceRef[] | undefined): RuleNeed {
  const alternatives: string[][] = [];
  const unmapped: string[] = [];
  const seen = new Set<string>();
  for (const ref of refs ?? []) {
    const r = resolveRef(v, ref);
    if (r.state === 'unmapped') unmapped.push(refLabel(ref));
    if (r.state !== 'mapped') continue;
    for (const alt of r.alternatives) {
      const k = [...alt].sort().join('+');
      if (!seen.has(k)) {
        seen.add(k);
        alternatives.push(alt);
      }
    }
  }
  return { alternatives, unmapped, stated: !!refs?.length };
}

/** The profile's ids plus every kind one of them provides. */
export function closure(v: Vocabulary, ids: Iterable<string>): Set<string> {
  const out = new Set(ids);
  for (const id of [...out]) for (const k of v.provides.get(id) ?? []) out.add(k);
  return out;
}

export function statusOf(need: RuleNeed, have: Set<string>): RuleStatus {
  if (!need.alternatives.length) return 'unknown';
  return need.alternatives.some((alt) => alt.every((id) => have.has(id))) ? 'runnable' : 'blocked';
}

/**
 * The single ids whose addition to `have` would make a blocked rule runnable: per alternative,
 * each missing id must be supplied — a concrete one by itself, a kind by any of its providers.
 */
export function unlockers(v: Vocabulary, need: RuleNeed, have: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const alt of need.alternatives) {
    const missing = alt.filter((id) => !have.has(id));
    let options: Set<string> | undefined;
    for (const m of missing) {
      const e = v.entries.get(m);
      const opts = new Set(e?.kind === 'kind' ? e.providedBy!.filter((p) => !have.has(p)) : [m]);
      options = options ? new Set([...options].filter((x) => opts.has(x))) : opts;
    }
    for (const x of options ?? []) out.add(x);
  }
  return out;
}
