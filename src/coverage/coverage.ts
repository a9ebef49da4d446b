/**
 * Coverage of a team's own detection rules against ATT&CK: per technique of a threat (or of a
 * whole domain), which own rules map to it, what public detections, tests and controls exist, and
 * in which order the gaps should be closed.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import type { ValidationClass } from '../page/types.js';
import { buildPage } from '../page/build.js';
import type { DuplicateRuleId, OwnRuleSet, RuleWarning, SkippedFile } from '../rules/types.js';
import { forStack, summarize, type TechniqueSummary } from '../page/summary.js';
import type { ThreatSelection } from '../threats/select.js';
import { normalizeTechniqueId } from '../resolve.js';
import { Crosswalk } from '../crosswalk/translate.js';
import { releaseFromKb } from '../crosswalk/release.js';
import { newerIds } from '../crosswalk/newer.js';
import { compareBaseline, type BaselineDiff } from './baseline.js';
import { prioritize } from './priority.js';
import { resolveOwnRules, type OwnRuleRef, type ParentWithSubtechniques, type UnknownRuleId } from './rules.js';
import { scopeOf } from './scope.js';
import type { CoverageResults, TechniqueResultSummary } from '../results/coverage-types.js';

export type { OwnRuleRef, ParentWithSubtechniques, UnknownRuleId } from './rules.js';
export type { BaselineDiff } from './baseline.js';

/** Public resources of one source for one technique. */
export interface SourceCount {
  source: string;
  title: string;
  count: number;
}

/**
 * `covered`: at least one non-deprecated own rule maps to the technique itself (a rule naming a
 *   parent together with one of its sub-techniques maps to the sub-technique only: see rules.ts).
 * `partial`: a parent technique with own rules only on some of its sub-techniques (not covered).
 * `gap`: no own rule on it nor on any sub-technique.
 */
export type CoverageStatus = 'covered' | 'partial' | 'gap';

export interface CoverageTechnique {
  id: string;
  name: string;
  domain: Domain;
  /** Tactic shortnames in matrix order. */
  tactics: string[];
  isSub: boolean;
  parent: string | null;
  url: string;
  status: CoverageStatus;
  /** Non-deprecated own rules mapped to this technique (after revocations are followed). */
  ownRules: OwnRuleRef[];
  /** Parents only: own rules on sub-techniques of this technique. */
  ownViaSubtechniques: number;
  /** Ids of the selected threats that use the technique (empty without a threat selection). */
  threats: string[];
  controls: SourceCount[];
  /** Executable public rules per source (guidance is in `guidance`). */
  detections: SourceCount[];
  /** Public guidance per source: detection strategies, hunts, pseudocode (not counted as detections). */
  guidance: SourceCount[];
  tests: SourceCount[];
  policyVolume: number;
  detectionVolume: number;
  guidanceVolume: number;
  /** Executable public rules a team can adopt (= detectionVolume): the priority key. */
  adoptableDetections: number;
  testVolume: number;
  validation: ValidationClass;
  /** 1-based rank in the gap list (uncovered techniques only). */
  priority?: number;
  /** With a results file: what ran against the technique and whether it was validated. */
  results?: TechniqueResultSummary;
  /** With a telemetry profile: public rules it can run, rules it blocks and what they need (src/telemetry/coverage.ts). */
  telemetry?: { runnable: number; blocked: number; needs: string[] };
}

export interface TacticCoverage {
  shortname: string;
  id: string;
  name: string;
  total: number;
  covered: number;
  partial: number;
}

export interface CoverageReport {
  domain: Domain;
  /** With a telemetry profile: adoptable detections are the runnable ones (src/telemetry/coverage.ts). */
  telemetry?: { profile: string[]; detectable: number; next: { label: string; profileEntry: string; techniques: number; rules: number }[] };
  attackVersion: string;
  builtAt: string | null;
  /** The selected threats (absent: the whole domain). */
  threats?: { id: string; name: string; kind: string; url: string | null; techniques: number }[];
  /** Selected techniques left out: not in this domain, or not active. */
  excluded: { id: string; reason: string }[];
  /** Every technique considered, in id order. */
  techniques: CoverageTechnique[];
  /** Uncovered technique ids (`gap` and `partial`), in priority order. */
  gaps: string[];
  summary: {
    total: number;
    covered: number;
    partial: number;
    gaps: number;
    /** Tactics in matrix order. */
    byTactic: TacticCoverage[];
  };
  rules: {
    /** Own rules read: total = mapped + unmapped + deprecated + idsNotCounted. */
    total: number;
    deprecated: number;
    /** Non-deprecated rules that map to at least one active technique of the domain. */
    mapped: number;
    /** Non-deprecated rules that map to at least one technique of this report. */
    inScope: number;
    /** Rules with no ATT&CK id at all. */
    unmapped: OwnRuleRef[];
    /** Non-deprecated rules whose ids all failed to count (see unknownIds for each id's reason). */
    idsNotCounted: OwnRuleRef[];
    /** Ids that did not resolve to an active technique of the domain. */
    unknownIds: UnknownRuleId[];
    /** Revoked ids carried to their replacement. */
    revoked: { rule: string; file: string; raw: string; ids: string[] }[];
    /** Unknown ids numbered just above the loaded release: the rules follow a newer ATT&CK. */
    newerIds: string[];
    /** Rules naming a parent and its sub-techniques: the parent counts as partial, not covered, by them. */
    parentsWithSubtechniques: ParentWithSubtechniques[];
    /** Correlation rules counted for the techniques of the rules they correlate. */
    correlations: { rule: string; file: string; title: string; from: string[] }[];
    /** Where ids were found, for formats with several layouts (Elastic TOML). */
    layouts: Record<string, number>;
    warnings: RuleWarning[];
    /** Files looked at: files with rules + skipped. */
    files: number;
    /** Files that yielded no rule, with why. */
    skipped: SkippedFile[];
    /** Rule ids found in several files (every file's rule counts). */
    duplicateIds: DuplicateRuleId[];
  };
  /** Present when a baseline was given: changes of covered techniques against it. */
  baseline?: BaselineDiff;
  /** Present when a results file was given (see results/coverage.ts). */
  results?: CoverageResults;
  /** Present when public resources were counted for a control stack only. */
  stack?: { name: string | null; sources: string[] };
}

export interface CoverageOptions {
  selection?: ThreatSelection;
  rules?: OwnRuleSet;
  domain?: Domain;
  /** Technique ids covered in an earlier run (see `readBaseline`). */
  baseline?: string[];
  /** Technique summaries already computed (the server keeps them per knowledge base). */
  summaries?: readonly TechniqueSummary[];
  /** Count public controls, rules and tests of these sources only. */
  stack?: Stack;
  /** Called as techniques are done (a whole domain takes seconds): the CLI shows it on a TTY. */
  onProgress?: (done: number, total: number) => void;
}

export function computeCoverage(kb: KnowledgeBase, opts: CoverageOptions): CoverageReport {
  const domain = opts.domain ?? 'enterprise-attack';
  const { ids, excluded, rows } = scopeOf(kb, domain, opts.selection);
  const resolved = resolveOwnRules(kb, opts.rules, domain);
  const given = new Map((opts.summaries ?? []).map((s) => [s.id, s]));
  const allSources = kb.sources();
  const sources = allSources.filter((s) => s.loaded && inStack(opts.stack, s.name));

  // Rules on sub-techniques, per parent: a parent covered only through its sub-techniques is "partial".
  const viaSubs = new Map<string, Set<string>>();
  for (const [id, refs] of resolved.byTechnique) {
    const parent = rows.get(id)?.parent;
    if (!parent) continue;
    const set = viaSubs.get(parent) ?? new Set<string>();
    for (const r of refs) set.add(r.key);
    viaSubs.set(parent, set);
  }

  const techniques: CoverageTechnique[] = [];
  for (const [i, id] of ids.entries()) {
    opts.onProgress?.(i, ids.length);
    const row = rows.get(id)!;
    const known = given.get(id);
    let s = known ? forStack(known, allSources, opts.stack) : undefined;
    if (!s) {
      const page = buildPage(kb, id, { stack: opts.stack });
      if (!page) continue;
      s = summarize(page, row);
    }
    const countOf = (name: string, which: 'rules' | 'guidance' | 'all') => {
      const all = s.counts[name] ?? 0;
      const guidance = s.guidance[name] ?? 0;
      return which === 'all' ? all : which === 'guidance' ? guidance : all - guidance;
    };
    const bySource = (pillar: string, which: 'rules' | 'guidance' | 'all' = 'all'): SourceCount[] => sources
      .filter((src) => src.pillar === pillar && countOf(src.name, which) > 0)
      .map((src) => ({ source: src.name, title: src.title, count: countOf(src.name, which) }));
    const ownRules = resolved.byTechnique.get(id) ?? [];
    const detections = bySource('detection', 'rules');
    const ownViaSubtechniques = row.isSub ? 0 : (viaSubs.get(id)?.size ?? 0);
    techniques.push({
      id, name: row.name, domain: row.domain, tactics: row.tactics, isSub: row.isSub, parent: row.parent, url: row.url,
      status: ownRules.length ? 'covered' : ownViaSubtechniques ? 'partial' : 'gap',
      ownRules, ownViaSubtechniques,
      threats: opts.selection?.techniques.get(id) ?? [],
      controls: bySource('policy'), detections, guidance: bySource('detection', 'guidance'), tests: bySource('test'),
      policyVolume: s.summary.policy_volume, detectionVolume: s.summary.detection_volume, guidanceVolume: s.summary.guidance_volume,
      adoptableDetections: s.summary.detection_volume,
      testVolume: s.summary.test_volume,
      validation: s.summary.validation,
    });
  }

  const uncovered = prioritize(techniques.filter((t) => t.status !== 'covered').map((t) => ({ ...t, threats: t.threats.length, t })));
  uncovered.forEach((u, i) => {
    u.t.priority = i + 1;
  });

  const tactics = kb.tactics().filter((t) => t.domain === domain);
  const byTactic: TacticCoverage[] = tactics.map((tac) => {
    const list = techniques.filter((t) => t.tactics.includes(tac.shortname));
    return {
      shortname: tac.shortname, id: tac.id, name: tac.name, total: list.length,
      covered: list.filter((t) => t.status === 'covered').length, partial: list.filter((t) => t.status === 'partial').length,
    };
  }).filter((t) => t.total > 0);

  const scope = new Set(techniques.map((t) => t.id));
  const coveredIds = new Set(techniques.filter((t) => t.status === 'covered').map((t) => t.id));
  const inScope = new Set(techniques.flatMap((t) => t.ownRules.map((r) => r.key))).size;
  const report: CoverageReport = {
    domain, attackVersion: kb.attackVersion, builtAt: kb.meta('built_at') ?? null,
    ...(opts.selection ? {
      threats: opts.selection.threats.map((t) => ({
        id: t.id, name: t.name, kind: t.kind, url: t.url, techniques: t.techniques.filter((x) => scope.has(x)).length,
      })),
    } : {}),
    excluded: [...(opts.selection?.dropped ?? []), ...excluded],
    techniques,
    gaps: uncovered.map((u) => u.id),
    summary: {
      total: techniques.length, covered: coveredIds.size, partial: techniques.filter((t) => t.status === 'partial').length,
      gaps: techniques.length - coveredIds.size, byTactic,
    },
    rules: {
      total: resolved.total, deprecated: resolved.deprecated, mapped: resolved.mapped, inScope, unmapped: resolved.unmapped,
      idsNotCounted: resolved.idsNotCounted, unknownIds: resolved.unknownIds, revoked: resolved.revoked, newerIds: newerOwnIds(kb, resolved.unknownIds),
      parentsWithSubtechniques: resolved.parentsWithSubtechniques, correlations: resolved.correlations, layouts: resolved.layouts,
      warnings: opts.rules?.warnings ?? [], files: opts.rules?.files ?? 0, skipped: opts.rules?.skipped ?? [], duplicateIds: opts.rules?.duplicateIds ?? [],
    },
  };
  if (opts.baseline) report.baseline = compareBaseline(scope, coveredIds, opts.baseline, new Crosswalk(releaseFromKb(kb)));
  if (opts.stack) report.stack = { name: opts.stack.name, sources: [...opts.stack.sources] };
  return report;
}

/** Own-rule ids unknown to the loaded ATT&CK because they come from a newer release. */
function newerOwnIds(kb: KnowledgeBase, unknown: readonly UnknownRuleId[]): string[] {
  const ids = unknown.filter((u) => u.reason === 'unknown to the loaded ATT&CK').map((u) => normalizeTechniqueId(u.raw));
  return ids.length ? newerIds(ids, releaseFromKb(kb)) : [];
}
