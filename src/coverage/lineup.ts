/**
 * The line-up ("Line It Up!" of Control Validation Compass): per technique of a threat (or of a
 * whole domain), the three pillar totals of a team's control stack, per source on demand, sorted
 * by what the team asks first — rules, tests, controls, all of them, or its own intel score.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase, TacticRow } from '../kb/open.js';
import { stackLabel, type Stack } from '../kb/stack.js';
import type { ValidationClass } from '../page/types.js';
import { classCounts, rulesOf } from '../page/validation.js';
import type { Pillar } from '../core/types.js';
import { forStack, summarizeAll, type TechniqueSummary } from '../page/summary.js';
import type { ThreatSelection } from '../threats/select.js';
import { scopeOf } from './scope.js';
import { InputError } from '../core/errors.js';

export const LINEUP_SORTS = ['rules', 'tests', 'controls', 'total', 'score', 'id'] as const;
export type LineupSort = (typeof LINEUP_SORTS)[number];

export class LineupError extends InputError {}

export interface LineupSource {
  source: string;
  title: string;
  pillar: Pillar;
  /** Resources of the source on the technique; for detection sources, rules and guidance. */
  count: number;
  /** Executable rules among them (detection sources). */
  rules: number;
  guidance: number;
}

export interface LineupRow {
  /** 1-based position in the chosen order. */
  rank: number;
  id: string;
  name: string;
  url: string;
  isSub: boolean;
  parent: string | null;
  /** Tactic shortnames in matrix order. */
  tactics: string[];
  /** Selected threats that use the technique. */
  threats: string[];
  /** Intel score from the input layer; null when it gives none. */
  score: number | null;
  controls: number;
  /** Executable detection rules (guidance not counted, as on the page). */
  rules: number;
  tests: number;
  /** controls + rules + tests. */
  total: number;
  guidance: number;
  validation: ValidationClass;
  /** Sources of the stack with anything on the technique, in page order. */
  sources: LineupSource[];
}

export interface Lineup {
  domain: Domain;
  attackVersion: string;
  builtAt: string | null;
  sort: LineupSort;
  /** What the top of the list means for this sort, in one sentence. */
  headline: string;
  stack: { name: string | null; sources: string[] } | null;
  threats: { id: string; name: string; kind: string; url: string | null }[] | null;
  /** Name of the input layer the scores come from, when it had any. */
  scoresFrom: string | null;
  lowestLevel: boolean;
  /** The tactic filter (empty: every tactic). */
  tactics: { shortname: string; id: string; name: string }[];
  /** Every tactic of the domain in matrix order: names for the rows' shortnames. */
  matrix: { shortname: string; id: string; name: string }[];
  /** Selected techniques left out: not in this domain, or not active. */
  excluded: { id: string; reason: string }[];
  rows: LineupRow[];
  totals: { techniques: number; controls: number; rules: number; tests: number; guidance: number; classes: Record<ValidationClass, number> };
}

export interface LineupOptions {
  selection?: ThreatSelection;
  /** Intel scores by technique id (from a Navigator layer given as the technique list). */
  scores?: Map<string, number>;
  scoresFrom?: string;
  stack?: Stack;
  domain?: Domain;
  /** Keep sub-techniques where the scope has them, and the technique otherwise. */
  lowestLevel?: boolean;
  /** Tactics by shortname, id or name; only techniques under one of them are kept. */
  tactics?: string[];
  sort?: LineupSort;
  /** Technique summaries of every source, already computed (the server keeps them). */
  summaries?: readonly TechniqueSummary[];
}

/** Tactics of a domain named by shortname (`lateral-movement`), id (`TA0008`) or name, case-insensitive. */
export function resolveTactics(kb: KnowledgeBase, domain: Domain, names: readonly string[]): TacticRow[] {
  const tactics = kb.tactics().filter((t) => t.domain === domain);
  const out: TacticRow[] = [];
  for (const raw of names) {
    const want = raw.trim().toLowerCase();
    const hit = tactics.find((t) => t.shortname === want || t.id.toLowerCase() === want || t.name.toLowerCase() === want);
    if (!hit) throw new LineupError(`unknown tactic "${raw.slice(0, 60)}" in ${domain}; valid: ${tactics.map((t) => t.shortname).join(', ')}`);
    if (!out.includes(hit)) out.push(hit);
  }
  return out.sort((a, b) => a.order - b.order);
}

/** Technique ids kept at the lowest level: a technique goes when one of its sub-techniques is in the scope. */
export function lowestLevel(ids: readonly string[]): string[] {
  const parentsWithSubs = new Set(ids.filter((id) => id.includes('.')).map((id) => id.split('.')[0]!));
  return ids.filter((id) => !parentsWithSubs.has(id));
}

/**
 * A parent added to the scope because a threat uses one of its sub-techniques (ThreatSelection
 * marks parents) has no score of its own in the layer: it takes its highest-scored sub-technique's.
 */
function scoreOf(id: string, scores: Map<string, number> | undefined): number | null {
  if (!scores) return null;
  const own = scores.get(id);
  if (own !== undefined) return own;
  if (id.includes('.')) return null;
  let best: number | null = null;
  for (const [k, v] of scores) if (k.startsWith(`${id}.`) && (best === null || v > best)) best = v;
  return best;
}

const SORT_WORDS: Record<Exclude<LineupSort, 'id' | 'score'>, { what: string; top: string; zero: string }> = {
  rules: { what: 'executable detection rules', top: 'the most public rules to adopt, tune and check', zero: 'rows with 0 rules are detection gaps' },
  tests: { what: 'offensive security tests', top: 'the most tests to run: start the purple-team exercise there', zero: 'rows with 0 tests cannot be validated yet' },
  controls: { what: 'policy / process controls', top: 'the most controls to check', zero: 'rows with 0 have no control to lean on' },
  total: { what: 'controls, rules and tests together', top: 'where the sources say the most', zero: 'the bottom is where they are silent' },
};

/** The header sentence: what the top of the list means for the chosen sort. */
export function lineupHeadline(sort: LineupSort, stack: Stack | undefined, scoresFrom: string | null): string {
  const of = stack ? `the control stack ${stackLabel(stack)}` : 'every loaded source';
  if (sort === 'id') return `In ATT&CK id order; the counts are those of ${of}.`;
  if (sort === 'score') {
    return `Sorted by the intel score of ${scoresFrom ?? 'the input layer'}, highest first: the top rows are the techniques your threat intelligence weighs most, `
      + `so read their rules and run their tests first (counts from ${of}).`;
  }
  const w = SORT_WORDS[sort];
  return `Sorted by ${w.what} of ${of}, most first: the top rows have ${w.top}; ${w.zero}.`;
}

const COUNT_OF: Record<Exclude<LineupSort, 'id' | 'score'>, (r: LineupRow) => number> = {
  rules: (r) => r.rules, tests: (r) => r.tests, controls: (r) => r.controls, total: (r) => r.total,
};

const byId = (a: LineupRow, b: LineupRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Higher score first; a row without a score after every scored one. */
const byScore = (a: LineupRow, b: LineupRow) => (a.score === b.score ? 0 : a.score === null ? 1 : b.score === null ? -1 : b.score - a.score);

/** Most first; ties by intel score, then by how many threats use it, then by total, then by id. */
function compareRows(sort: LineupSort) {
  return (a: LineupRow, b: LineupRow): number => {
    if (sort === 'id') return byId(a, b);
    const first = sort === 'score' ? byScore(a, b) : COUNT_OF[sort](b) - COUNT_OF[sort](a);
    return first || byScore(a, b) || b.threats.length - a.threats.length || b.total - a.total || byId(a, b);
  };
}

export function buildLineup(kb: KnowledgeBase, opts: LineupOptions = {}): Lineup {
  const domain = opts.domain ?? 'enterprise-attack';
  const sort = opts.sort ?? 'total';
  if (!(LINEUP_SORTS as readonly string[]).includes(sort)) throw new LineupError(`unknown sort "${String(sort)}"; valid: ${LINEUP_SORTS.join(', ')}`);
  if (sort === 'score' && !opts.scores?.size) {
    throw new LineupError('sorting by score needs a Navigator layer with technique scores as the technique list (--techniques LAYER)');
  }
  const tactics = resolveTactics(kb, domain, opts.tactics ?? []);
  const { ids, excluded, rows } = scopeOf(kb, domain, opts.selection);
  const kept = (opts.lowestLevel ? lowestLevel(ids) : ids)
    .filter((id) => !tactics.length || rows.get(id)!.tactics.some((t) => tactics.some((x) => x.shortname === t)));

  const sources = kb.sources();
  const stackSources = sources.filter((s) => s.loaded && (!opts.stack || opts.stack.sources.includes(s.name)));
  const all = opts.summaries ?? summarizeAll(kb);
  const summaries = new Map(all.map((t) => [t.id, t]));
  const tacticOrder = new Map(kb.tactics().filter((t) => t.domain === domain).map((t) => [t.shortname, t.order]));

  const out: LineupRow[] = [];
  for (const id of kept) {
    const full = summaries.get(id);
    if (!full) continue;
    const t = forStack(full, sources, opts.stack);
    const row = rows.get(id)!;
    const perSource: LineupSource[] = stackSources.filter((s) => (t.counts[s.name] ?? 0) > 0).map((s) => {
      const tally = { pillar: s.pillar, count: t.counts[s.name]!, guidance: t.guidance[s.name] ?? 0 };
      return { source: s.name, title: s.title, pillar: s.pillar, count: tally.count, rules: rulesOf(tally), guidance: tally.guidance };
    });
    const sm = t.summary;
    out.push({
      rank: 0, id, name: row.name, url: row.url, isSub: row.isSub, parent: row.parent,
      tactics: [...row.tactics].sort((a, b) => (tacticOrder.get(a) ?? 99) - (tacticOrder.get(b) ?? 99)),
      threats: opts.selection?.techniques.get(id) ?? [], score: scoreOf(id, opts.scores),
      controls: sm.policy_volume, rules: sm.detection_volume, tests: sm.test_volume,
      total: sm.policy_volume + sm.detection_volume + sm.test_volume, guidance: sm.guidance_volume, validation: sm.validation,
      sources: perSource,
    });
  }
  out.sort(compareRows(sort));
  out.forEach((r, i) => {
    r.rank = i + 1;
  });

  const sum = (f: (r: LineupRow) => number) => out.reduce((n, r) => n + f(r), 0);
  const scoresFrom = opts.scores?.size ? opts.scoresFrom ?? 'the input layer' : null;
  return {
    domain, attackVersion: kb.attackVersion, builtAt: kb.meta('built_at') ?? null, sort,
    headline: lineupHeadline(sort, opts.stack, scoresFrom),
    stack: opts.stack ? { name: opts.stack.name, sources: [...opts.stack.sources] } : null,
    threats: opts.selection ? opts.selection.threats.map((t) => ({ id: t.id, name: t.name, kind: t.kind, url: t.url })) : null,
    scoresFrom, lowestLevel: !!opts.lowestLevel,
    tactics: tactics.map((t) => ({ shortname: t.shortname, id: t.id, name: t.name })),
    matrix: kb.tactics().filter((t) => t.domain === domain).sort((a, b) => a.order - b.order).map((t) => ({ shortname: t.shortname, id: t.id, name: t.name })),
    excluded,
    rows: out,
    totals: {
      techniques: out.length, controls: sum((r) => r.controls), rules: sum((r) => r.rules), tests: sum((r) => r.tests),
      guidance: sum((r) => r.guidance), classes: classCounts(out),
    },
  };
}
