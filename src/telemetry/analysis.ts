/**
 * What a telemetry profile lets a team run against a set of techniques: per technique the
 * executable public rules that can run, those blocked by missing telemetry (and what they need),
 * those whose telemetry is unknown; and the log sources to add next, ranked by the techniques
 * (then rules) each would make detectable on its own.
 */
import { closure, needOf, statusOf, unlockers, type RuleNeed, type RuleStatus } from './match.js';
import type { TelemetryProfile } from './profile.js';
import type { TelemetryRule } from './rules.js';
import { entryLabel, shortLabel, type Vocabulary } from './vocabulary.js';

export interface ScopeTechnique {
  id: string;
  name: string;
}

export interface RuleView {
  source: string;
  key: string;
  id: string | null;
  title: string;
  url: string | null;
}

export interface BlockedRule extends RuleView {
  /** Alternatives, each the profile names needed together: `sysmon 1 or windows-security 4688`. */
  needs: string[];
}

export interface UnknownRule extends RuleView {
  /** `not stated` (no facet: the source does not say), `names none` (an empty list), `unmapped: …` (names the vocabulary lacks), or catch-all names only. */
  why: string;
}

export interface TechniqueTelemetry {
  id: string;
  name: string;
  /** At least one runnable rule. */
  detectable: boolean;
  runnable: RuleView[];
  blocked: BlockedRule[];
  unknown: UnknownRule[];
}

export interface NextSource {
  id: string;
  /** The profile line that adds it: `sysmon: [10]`, `aws-cloudtrail`. */
  profileEntry: string;
  label: string;
  /** The event kinds it provides (`windows:process_creation`), from the vocabulary. */
  provides: string[];
  /** Techniques of the scope not detectable today that this source alone makes detectable. */
  techniques: number;
  /** Blocked rules of the scope this source alone makes runnable. */
  rules: number;
  techniqueIds: string[];
}

export interface TelemetryAnalysis {
  profile: { entries: string[]; ids: string[] };
  techniques: TechniqueTelemetry[];
  next: NextSource[];
  summary: { techniques: number; detectable: number; rules: number; runnable: number; blocked: number; unknown: number };
}

const view = (r: TelemetryRule): RuleView => ({ source: r.source, key: r.key, id: r.upstreamId, title: r.title, url: r.url });

/** How a blocked rule's alternatives read: each needs all its ids, kinds shown with their providers. */
function needsLabels(v: Vocabulary, need: RuleNeed, have: Set<string>): string[] {
  return need.alternatives.map((alt) => alt.filter((id) => !have.has(id)).map((id) => {
    const e = v.entries.get(id);
    return e?.kind === 'kind' ? e.providedBy!.map((p) => shortLabel(v, p)).join(' or ') : shortLabel(v, id);
  }).join(' and '));
}

function unknownWhy(rule: TelemetryRule, need: RuleNeed): string {
  if (rule.logSources === undefined) return 'not stated';
  if (!rule.logSources.length) return 'names none';
  return need.unmapped.length ? `unmapped: ${need.unmapped.join(', ')}` : 'names only catch-all log sources';
}

/** `sysmon: [10]` for an event, `aws-cloudtrail` for a source, `sysmon` for a whole channel. */
function profileEntryOf(v: Vocabulary, id: string): string {
  const e = v.entries.get(id);
  if (e?.kind === 'event') return `${e.profile}: [${e.event}]`;
  return e?.profile ?? id;
}

export function analyzeTelemetry(v: Vocabulary, profile: TelemetryProfile, rules: TelemetryRule[], scope: ScopeTechnique[]): TelemetryAnalysis {
  const have = closure(v, profile.ids);
  const inScope = new Set(scope.map((t) => t.id));
  const byTechnique = new Map<string, { rule: TelemetryRule; need: RuleNeed; status: RuleStatus }[]>();
  const scoped: { rule: TelemetryRule; need: RuleNeed; status: RuleStatus }[] = [];
  for (const rule of rules) {
    const techniques = rule.techniques.filter((t) => inScope.has(t));
    if (!techniques.length) continue;
    const need = needOf(v, rule.logSources);
    const item = { rule, need, status: statusOf(need, have) };
    scoped.push(item);
    for (const t of techniques) {
      const list = byTechnique.get(t);
      if (list) list.push(item);
      else byTechnique.set(t, [item]);
    }
  }
  const techniques: TechniqueTelemetry[] = scope.map((t) => {
    const items = byTechnique.get(t.id) ?? [];
    const runnable = items.filter((i) => i.status === 'runnable').map((i) => view(i.rule));
    return {
      id: t.id, name: t.name, detectable: runnable.length > 0, runnable,
      blocked: items.filter((i) => i.status === 'blocked').map((i) => ({ ...view(i.rule), needs: needsLabels(v, i.need, have) })),
      unknown: items.filter((i) => i.status === 'unknown').map((i) => ({ ...view(i.rule), why: unknownWhy(i.rule, i.need) })),
    };
  });

  // Each blocked rule's single-source unlockers; a technique counts for a source when it is not
  // detectable today and one of its rules would run with that source added.
  const detectable = new Set(techniques.filter((t) => t.detectable).map((t) => t.id));
  const gains = new Map<string, { rules: Set<number>; techniques: Set<string> }>();
  for (const { rule, need, status } of scoped) {
    if (status !== 'blocked') continue;
    for (const id of unlockers(v, need, have)) {
      let g = gains.get(id);
      if (!g) gains.set(id, (g = { rules: new Set(), techniques: new Set() }));
      g.rules.add(rule.rowid);
      for (const t of rule.techniques) if (inScope.has(t) && !detectable.has(t)) g.techniques.add(t);
    }
  }
  const next: NextSource[] = [...gains].map(([id, g]) => ({
    id, profileEntry: profileEntryOf(v, id), label: entryLabel(v, id), provides: v.provides.get(id) ?? [], techniques: g.techniques.size, rules: g.rules.size, techniqueIds: [...g.techniques].sort(),
  })).sort((a, b) => b.techniques - a.techniques || b.rules - a.rules || (a.id < b.id ? -1 : 1));

  return {
    profile: { entries: profile.entries, ids: [...profile.ids].sort() },
    techniques, next,
    summary: {
      techniques: techniques.length, detectable: detectable.size, rules: scoped.length,
      runnable: scoped.filter((i) => i.status === 'runnable').length, blocked: scoped.filter((i) => i.status === 'blocked').length,
      unknown: scoped.filter((i) => i.status === 'unknown').length,
    },
  };
}
