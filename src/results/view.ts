/**
 * Stored results as the loaded knowledge base reads them: each execution's technique carried
 * through the crosswalk (results outlive ATT&CK upgrades), its current outcome (the last one
 * recorded), its age, and per technique the best fresh outcome and whether it is validated.
 */
import type { Crosswalk } from '../crosswalk/translate.js';
import { translated } from '../crosswalk/translate.js';
import type { OwnRuleSet } from '../rules/types.js';
import type { TestCatalog } from './catalog.js';
import type { ExecutionRow, OutcomeRow } from './model.js';
import { betterOutcome, EXECUTED, type Outcome } from './outcomes.js';
import { ageInDays } from './time.js';

/** Results older than this many days are stale: shown, but no longer counted. */
export const DEFAULT_MAX_AGE_DAYS = 180;

export interface ExecutionView extends ExecutionRow {
  /** Techniques of the loaded ATT&CK it stands for (empty: its technique is gone from ATT&CK). */
  techniques: string[];
  current: OutcomeRow | undefined;
  /** Days since it ran (or since its outcome was marked, when its start is unknown). */
  ageDays: number;
  stale: boolean;
}

export interface TechniqueResults {
  technique: string;
  /** Newest first. */
  executions: ExecutionView[];
  /** Best current outcome among fresh executions. */
  best: Outcome | undefined;
  /** Best current outcome among all, stale ones included. */
  bestEver: Outcome | undefined;
  /** Has results, all of them stale. */
  stale: boolean;
  /** A fresh execution ran and was prevented, or alerted with an own rule (see `alertCounts`). */
  validated: boolean;
  /** Start of the latest execution ('' when unknown). */
  lastRun: string;
}

export interface ViewOptions {
  crosswalk?: Crosswalk;
  catalog?: TestCatalog;
  now?: Date;
  maxAgeDays?: number;
}

/** When the result is from: the run, else the last mark. */
function whenOf(e: ExecutionRow): string {
  return e.startedAt || e.outcomes[e.outcomes.length - 1]?.recordedAt || e.recordedAt;
}

export function viewExecutions(rows: readonly ExecutionRow[], opts: ViewOptions = {}): ExecutionView[] {
  const now = opts.now ?? new Date();
  const maxAge = opts.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;
  return rows.map((e) => {
    let techniques = [e.technique];
    if (opts.crosswalk) {
      const t = opts.crosswalk.translate(e.technique);
      techniques = translated(t) ? t.ids : [];
      // Split by a revocation: the half the test maps to, when the knowledge base says.
      const test = opts.catalog?.find(e.testId, e.source);
      const mapped = techniques.filter((x) => test?.techniques.includes(x));
      if (techniques.length > 1 && mapped.length) techniques = mapped;
    }
    const ageDays = ageInDays(whenOf(e), now);
    return { ...e, techniques, current: e.outcomes[e.outcomes.length - 1], ageDays, stale: ageDays > maxAge };
  });
}

/**
 * Whether an alert counts as an own rule firing. With own rules given, the alert's rule must be
 * one of them (by id, title, file or file name); without, any alert that names its rule counts.
 */
export function alertCounts(rules: OwnRuleSet | undefined): (rule: string | null) => boolean {
  if (!rules) return (rule) => !!rule?.trim();
  const names = new Set<string>();
  for (const r of rules.rules) {
    if (r.deprecated) continue;
    const base = r.file.split('/').pop() ?? r.file;
    for (const n of [r.id, r.title, r.key, r.file, base, base.replace(/\.[^.]+$/, '')]) if (n) names.add(n.trim().toLowerCase());
  }
  return (rule) => !!rule && names.has(rule.trim().toLowerCase());
}

export function validates(o: OutcomeRow | undefined, ownAlert: (rule: string | null) => boolean): boolean {
  return !!o && (o.outcome === 'prevented' || (o.outcome === 'alerted' && ownAlert(o.rule)));
}

/** Results per technique of the loaded ATT&CK. */
export function resultsByTechnique(views: readonly ExecutionView[], rules?: OwnRuleSet): Map<string, TechniqueResults> {
  const ownAlert = alertCounts(rules);
  const out = new Map<string, TechniqueResults>();
  for (const e of views) {
    for (const id of e.techniques) {
      let t = out.get(id);
      if (!t) out.set(id, (t = { technique: id, executions: [], best: undefined, bestEver: undefined, stale: true, validated: false, lastRun: '' }));
      t.executions.push(e);
      const o = e.current?.outcome;
      t.bestEver = betterOutcome(t.bestEver, o);
      if (!e.stale) {
        t.stale = false;
        t.best = betterOutcome(t.best, o);
        if (o && EXECUTED.has(o) && validates(e.current, ownAlert)) t.validated = true;
      }
      if (e.startedAt > t.lastRun) t.lastRun = e.startedAt;
    }
  }
  for (const t of out.values()) t.executions.sort((a, b) => (whenOf(b) < whenOf(a) ? -1 : whenOf(b) > whenOf(a) ? 1 : b.id - a.id));
  return out;
}
