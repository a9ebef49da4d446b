/**
 * The purple-team test plan of a threat: per tactic, per technique, the public tests to run on the
 * chosen platforms, the detections that should fire, the controls to check.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase, MappedResource, SourceRow } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import type { OwnRuleFormat, OwnRuleSet } from '../rules/types.js';
import type { LogSourceScheme, ResourceFacets } from '../sources/types.js';
import type { ThreatSelection } from '../threats/select.js';
import { controlFits } from './control-platforms.js';
import { resolveOwnRules } from './rules.js';
import { scopeOf } from './scope.js';

export interface PlanTest {
  source: string;
  sourceTitle: string;
  /** Knowledge-base resource key (unique per source). */
  key: string;
  /** Upstream id: Atomic GUID, Caldera ability id, Prelude TTP id … */
  id: string | null;
  /** Atomic test number as `T1059.001-3`, when the source numbers its tests. */
  number?: string;
  name: string;
  url: string | null;
  platforms: string[];
  executors: string[];
  elevation?: boolean;
}

/** How a plan names any resource: where it comes from and where to open it. */
export interface PlanResourceRef {
  /** Source name (an own rule: its format). */
  source: string;
  sourceTitle: string;
  /** Resource key (an own rule: its key). */
  key: string;
  id: string | null;
  url: string | null;
}

export interface PlanDetection extends PlanResourceRef {
  /** `own`: the team's rule; `public`: a candidate from a public source. */
  kind: 'own' | 'public';
  title: string;
  file?: string;
  format?: OwnRuleFormat;
  /** With a telemetry profile: what a public candidate the profile cannot run needs (`needs: sysmon 10`). */
  needs?: string;
}

export interface PlanGuidance extends PlanResourceRef {
  title: string;
}

export interface PlanControl extends PlanResourceRef {
  name: string;
}

export interface PlanTechnique {
  id: string;
  name: string;
  url: string;
  /** Every tactic of the technique (it is listed under the first, in matrix order). */
  tactics: string[];
  threats: string[];
  tests: PlanTest[];
  /** Own rules first; public candidates only when there is no own rule. */
  detections: PlanDetection[];
  /** Public candidates left out of `detections` (cap), 0 when own rules are listed. */
  moreDetections: number;
  /** Public executable detection rules of the technique (non-deprecated), whatever the platform. */
  publicDetections: number;
  /**
   * Public guidance on detecting the technique (ATT&CK detection strategies, hunts, pseudocode):
   * nothing to fire, but where to start writing a rule. At most `maxDetections`.
   */
  guidance: PlanGuidance[];
  /** Guidance left out of `guidance` (cap). */
  moreGuidance: number;
  controls: PlanControl[];
  moreControls: number;
  ownRules: number;
}

export interface PlanTactic {
  shortname: string;
  id: string;
  name: string;
  techniques: PlanTechnique[];
}

export interface Plan {
  title: string;
  domain: Domain;
  attackVersion: string;
  builtAt: string | null;
  platforms: string[];
  threats: { id: string; name: string; kind: string; url: string | null }[];
  tactics: PlanTactic[];
  /** Controls left out because they cannot apply to the chosen platforms (control-platforms.ts). */
  droppedControls: number;
  /** Techniques of the threat no public test covers on the chosen platforms. */
  untested: { id: string; name: string; tactics: string[] }[];
  summary: { techniques: number; tested: number; tests: number; withOwnRule: number; withPublicDetection: number };
  /** Present when only the sources of a control stack were used. */
  stack?: { name: string | null; sources: string[] };
}

export interface PlanOptions {
  selection: ThreatSelection;
  rules?: OwnRuleSet;
  platforms?: string[];
  domain?: Domain;
  /** Public detection candidates listed per technique (default 8). */
  maxDetections?: number;
  /** Controls listed per technique (default 8). */
  maxControls?: number;
  /** Use only the sources of this control stack. */
  stack?: Stack;
  /** A telemetry profile's verdict per rule: runnable candidates come first, the others are marked (src/telemetry/gate.ts). */
  telemetry?: (rowid: number) => string | null;
}

/** Upstream platform spellings → one name (`darwin` and `osx` are macOS). */
export function normalizePlatform(p: string): string {
  const x = p.trim().toLowerCase().replace(/\s+/g, ' ');
  if (x === 'darwin' || x === 'osx' || x === 'mac' || x === 'mac os' || x === 'macos') return 'macos';
  if (x === 'win' || x === 'windows') return 'windows';
  return x;
}

/**
 * Platforms a resource says it runs on or watches, from its facets (the connectors read them from
 * the upstream's own fields): its platforms, and for a Sigma rule its logsource product.
 */
export function resourcePlatforms(facets: ResourceFacets | null | undefined): string[] {
  if (!facets) return [];
  const out = [...(facets.platforms ?? [])];
  for (const l of facets.logSources ?? []) if (l.scheme === 'sigma' && l.product) out.push(l.product);
  return [...new Set(out.map(normalizePlatform))];
}

/** Log-source schemes whose names are product words (Splunk data sources, Sentinel tables): the last hint of a platform. */
const NAMED_BY_PRODUCT = new Set<LogSourceScheme>(['splunk', 'sentinel']);

/**
 * Every platform a `--platform` may name: those the tests of the knowledge base run on and those
 * ATT&CK techniques list, normalized and sorted. A name outside it can only be a typo.
 */
export function knownPlatforms(kb: KnowledgeBase): string[] {
  const out = new Set<string>();
  for (const t of kb.techniques()) for (const p of t.platforms) out.add(normalizePlatform(p));
  const facets = kb.db.prepare(`SELECT r.facets FROM resources r JOIN sources s ON s.name = r.source WHERE s.pillar = 'test' AND r.facets IS NOT NULL`).pluck().all() as string[];
  for (const f of facets) {
    try {
      for (const p of resourcePlatforms(JSON.parse(f) as ResourceFacets)) out.add(p);
    } catch {
      // A facets column is JSON written by the build; nothing to add from one that is not.
    }
  }
  return [...out].sort();
}

/**
 * True when a resource names one of the wanted platforms. Strict: unknown platforms match only
 * without a filter, and Prelude's `global` (agent-native executors, often without a command) does
 * not stand for Windows.
 */
function runsOn(platforms: string[], wanted: readonly string[]): boolean {
  return !wanted.length || platforms.some((p) => wanted.includes(p));
}

/** Folder names and data-source words that tell which platform a detection watches. */
const PLATFORM_FOLDERS = new Set(['windows', 'linux', 'macos', 'aws', 'azure', 'gcp', 'kubernetes', 'o365', 'm365', 'okta', 'github', 'google_workspace', 'network', 'cloud', 'web', 'proxy']);
const DATA_SOURCE_WORDS: [RegExp, string][] = [
  [/windows|sysmon|powershell/i, 'windows'], [/linux|auditd/i, 'linux'], [/mac ?os|osx|darwin/i, 'macos'], [/\baws\b|cloudtrail/i, 'aws'],
  [/azure/i, 'azure'], [/\bgcp\b|google cloud/i, 'gcp'], [/okta/i, 'okta'], [/office 365|o365|microsoft 365/i, 'o365'], [/kubernetes/i, 'kubernetes'],
];

/**
 * Platforms a public detection watches, best effort: what it says (platforms, Sigma logsource
 * product), else the folder it sits in (`rules/windows/…`, `rules/integrations/gcp/…`), else its
 * data sources (Splunk "Sysmon EventID 1"). `cross-platform` folders say nothing (unknown).
 */
export function detectionPlatforms(r: Pick<MappedResource, 'facets' | 'file'>): string[] {
  const own = resourcePlatforms(r.facets);
  if (own.length) return own;
  const folders = (r.file ?? '').toLowerCase().split('/').slice(0, -1);
  if (folders.includes('cross-platform')) return [];
  const fromFolders = folders.map(normalizePlatform).filter((f) => PLATFORM_FOLDERS.has(f));
  if (fromFolders.length) return [...new Set(fromFolders)];
  const words = (r.facets?.logSources ?? []).filter((l) => NAMED_BY_PRODUCT.has(l.scheme)).map((l) => l.name ?? '').join(' ');
  return [...new Set(DATA_SOURCE_WORDS.filter(([re]) => re.test(words)).map(([, p]) => p))];
}

/** Takes one item per source in turn, so one large source does not crowd the others out. */
function roundRobin<T>(groups: T[][], max: number): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < max; i++) {
    let any = false;
    for (const g of groups) {
      if (i < g.length && out.length < max) {
        out.push(g[i]!);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

const byTitle = (a: MappedResource, b: MappedResource) => (a.title < b.title ? -1 : a.title > b.title ? 1 : a.key < b.key ? -1 : 1);

function testOf(r: MappedResource, src: SourceRow, technique: string): PlanTest {
  const meta = r.meta ?? {};
  const test: PlanTest = {
    source: r.source, sourceTitle: src.title, key: r.key, id: r.upstreamId, name: r.title, url: r.url,
    platforms: resourcePlatforms(r.facets), executors: [...new Set(r.facets?.executors ?? [])],
  };
  // Atomic tests are numbered within their technique's file: "T1059.001-3" is how operators name them.
  if (typeof meta.number === 'number') test.number = `${/(T\d{4}(?:\.\d{3})?)\//.exec(r.key)?.[1] ?? technique}-${meta.number}`;
  if (typeof r.facets?.elevation === 'boolean') test.elevation = r.facets.elevation;
  return test;
}

/** Control groups without the controls that cannot apply to the chosen platforms (cloud services, product CVEs). */
function offPlatformControlsLeftOut(groups: MappedResource[][], platforms: readonly string[]): MappedResource[][] {
  return groups.map((g) => g.filter((r) => controlFits(r, platforms))).filter((g) => g.length);
}

export function buildPlan(kb: KnowledgeBase, opts: PlanOptions): Plan {
  const domain = opts.domain ?? 'enterprise-attack';
  const platforms = [...new Set((opts.platforms ?? []).map(normalizePlatform))];
  const maxDetections = opts.maxDetections ?? 8;
  const maxControls = opts.maxControls ?? 8;
  const { ids, rows } = scopeOf(kb, domain, opts.selection);
  const own = resolveOwnRules(kb, opts.rules, domain);
  const sources = kb.sources().filter((s) => s.loaded && inStack(opts.stack, s.name));
  const sourceByName = new Map(sources.map((s) => [s.name, s]));
  const sourceOrder = (pillar: string) => sources.filter((s) => s.pillar === pillar).map((s) => s.name);
  const tactics = kb.tactics().filter((t) => t.domain === domain);
  const tacticOrder = new Map(tactics.map((t, i) => [t.shortname, i]));

  const techniques: PlanTechnique[] = [];
  let droppedControls = 0;
  for (const id of ids) {
    const row = rows.get(id)!;
    const bySource = new Map<string, MappedResource[]>();
    for (const r of kb.mapped(id)) {
      if (r.deprecated || !sourceByName.has(r.source)) continue;
      const list = bySource.get(r.source);
      if (list) list.push(r);
      else bySource.set(r.source, [r]);
    }
    const grouped = (pillar: string, keep: (r: MappedResource) => boolean = () => true) => sourceOrder(pillar)
      .map((name) => (bySource.get(name) ?? []).filter(keep).sort(byTitle)).filter((g) => g.length);

    const tests = grouped('test', (r) => runsOn(resourcePlatforms(r.facets), platforms))
      .flat().map((r) => testOf(r, sourceByName.get(r.source)!, id));

    const ownRules = own.byTechnique.get(id) ?? [];
    // Only executable rules can fire; guidance is listed apart (page/validation.ts has the definition).
    const publicDetections = grouped('detection', (r) => r.kind !== 'guidance');
    const guidanceGroups = grouped('detection', (r) => r.kind === 'guidance');
    const guidance = roundRobin(guidanceGroups, maxDetections).map((r): PlanGuidance => ({
      source: r.source, sourceTitle: sourceByName.get(r.source)!.title, key: r.key, id: r.upstreamId, title: r.title, url: r.url,
    }));
    const publicCount = publicDetections.reduce((n, g) => n + g.length, 0);
    let detections: PlanDetection[];
    let moreDetections = 0;
    if (ownRules.length) {
      detections = ownRules.map((r) => ({
        kind: 'own', source: r.format, sourceTitle: 'own rule', key: r.key, id: r.id ?? null, title: r.title, url: null, file: r.file, format: r.format,
      }));
    } else {
      // Candidates that watch another platform cannot fire in this exercise; those that name the
      // platform come first, those that say nothing might fire and come after.
      const fits = publicDetections.map((g) => {
        const named: MappedResource[] = [];
        const unknown: MappedResource[] = [];
        for (const r of g) {
          const p = detectionPlatforms(r);
          if (!p.length) unknown.push(r);
          else if (runsOn(p, platforms)) named.push(r);
        }
        return [...named, ...unknown];
      }).filter((g) => g.length);
      // With a telemetry profile, the rules it runs are the candidates; the others follow, marked with what they need.
      const gate = opts.telemetry;
      const picked = gate
        ? [...roundRobin(fits.map((g) => g.filter((r) => gate(r.rowid) === null)), maxDetections)]
        : roundRobin(fits, maxDetections);
      if (gate && picked.length < maxDetections) picked.push(...roundRobin(fits.map((g) => g.filter((r) => gate(r.rowid) !== null)), maxDetections - picked.length));
      moreDetections = fits.reduce((n, g) => n + g.length, 0) - picked.length;
      detections = picked.map((r) => {
        const needs = gate?.(r.rowid);
        return {
          kind: 'public', source: r.source, sourceTitle: sourceByName.get(r.source)!.title, key: r.key, id: r.upstreamId, title: r.title, url: r.url,
          ...(needs ? { needs } : {}),
        };
      });
    }

    const allControls = grouped('policy');
    const controlGroups = offPlatformControlsLeftOut(allControls, platforms);
    droppedControls += allControls.reduce((n, g) => n + g.length, 0) - controlGroups.reduce((n, g) => n + g.length, 0);
    const controls = roundRobin(controlGroups, maxControls).map((r): PlanControl => ({
      source: r.source, sourceTitle: sourceByName.get(r.source)!.title, key: r.key, id: r.upstreamId, name: r.title, url: r.url,
    }));
    techniques.push({
      id, name: row.name, url: row.url,
      tactics: [...row.tactics].sort((a, b) => (tacticOrder.get(a) ?? 99) - (tacticOrder.get(b) ?? 99)),
      threats: opts.selection.techniques.get(id) ?? [], tests, detections, moreDetections, publicDetections: publicCount,
      guidance, moreGuidance: guidanceGroups.reduce((n, g) => n + g.length, 0) - guidance.length,
      controls, moreControls: controlGroups.reduce((n, g) => n + g.length, 0) - controls.length, ownRules: ownRules.length,
    });
  }

  const planTactics: PlanTactic[] = tactics.map((t) => ({
    shortname: t.shortname, id: t.id, name: t.name, techniques: techniques.filter((x) => x.tactics[0] === t.shortname),
  })).filter((t) => t.techniques.length);
  // A technique without a tactic of this matrix is still part of the exercise.
  const orphans = techniques.filter((x) => !tacticOrder.has(x.tactics[0] ?? ''));
  if (orphans.length) planTactics.push({ shortname: 'other', id: '', name: 'Other', techniques: orphans });
  const threats = opts.selection.threats.map((t) => ({ id: t.id, name: t.name, kind: t.kind, url: t.url }));
  const who = threats.map((t) => (t.kind === 'list' ? t.name : `${t.name} (${t.id})`)).join(', ') || 'no threat';
  return {
    title: `Purple-team plan: ${who}${platforms.length ? ` on ${platforms.join(', ')}` : ''}`,
    domain, attackVersion: kb.attackVersion, builtAt: kb.meta('built_at') ?? null, platforms, threats, tactics: planTactics, droppedControls,
    untested: techniques.filter((t) => !t.tests.length).map((t) => ({ id: t.id, name: t.name, tactics: t.tactics })),
    summary: {
      techniques: techniques.length, tested: techniques.filter((t) => t.tests.length).length,
      tests: techniques.reduce((n, t) => n + t.tests.length, 0), withOwnRule: techniques.filter((t) => t.ownRules).length,
      withPublicDetection: techniques.filter((t) => t.publicDetections).length,
    },
    ...(opts.stack ? { stack: { name: opts.stack.name, sources: [...opts.stack.sources] } } : {}),
  };
}
