/**
 * ATT&CK Navigator layers (layer format 4.5): a measure over every active technique of a domain,
 * scored and coloured exactly as the site's matrix colours it; with a threat selection, techniques
 * outside it are disabled (greyed out) and the colour scale is computed over the selection only.
 * Also the own-rule coverage layer and the threat layer (how many selected threats use each technique).
 */
import type { Domain } from '../attack/types.js';
import type { CoverageReport } from '../coverage/coverage.js';
import type { LayerContext } from '../kb/layer-context.js';
import { stackLabel, type Stack } from '../kb/stack.js';
import { countEdges, countLevel, type Measure } from '../page/measures.js';
import type { TechniqueSummary } from '../page/summary.js';
import { colourKey, colourOf, legendFor, VALIDATION_COLORS } from './palette.js';
import type { ThreatSelection } from '../threats/select.js';

export const LAYER_FORMAT = '4.5';
/** Oldest Navigator release that reads layer format 4.5. */
export const NAVIGATOR_VERSION = '5.1.0';

export interface LayerMetadata {
  name: string;
  value: string;
}

export interface LayerLink {
  label: string;
  url: string;
}

export interface LayerTechnique {
  techniqueID: string;
  tactic?: string;
  score?: number;
  color?: string;
  comment?: string;
  enabled?: boolean;
  metadata?: LayerMetadata[];
  links?: LayerLink[];
  showSubtechniques?: boolean;
}

export interface NavigatorLayer {
  name: string;
  versions: { attack: string; navigator: string; layer: string };
  domain: Domain;
  description: string;
  sorting: number;
  layout: {
    layout: 'side' | 'flat' | 'mini'; showID: boolean; showName: boolean; showAggregateScores: boolean; countUnscored: boolean;
    aggregateFunction: 'average' | 'min' | 'max' | 'sum'; expandedSubtechniques: 'none' | 'all' | 'annotated';
  };
  hideDisabled: boolean;
  techniques: LayerTechnique[];
  gradient: { colors: string[]; minValue: number; maxValue: number };
  legendItems: { label: string; color: string }[];
  showTacticRowBackground: boolean;
  tacticRowBackground: string;
  selectTechniquesAcrossTactics: boolean;
  selectSubtechniquesWithParent: boolean;
  selectVisibleTechniques: boolean;
  metadata: LayerMetadata[];
  links: LayerLink[];
}

export interface LayerShape {
  domain: Domain;
  /** The loaded ATT&CK release, e.g. "18.1" (the layer keeps the major version, as Navigator does). */
  attackVersion: string;
  name: string;
  description: string;
  techniques: LayerTechnique[];
  gradient: NavigatorLayer['gradient'];
  legendItems: NavigatorLayer['legendItems'];
  metadata?: LayerMetadata[];
  links?: LayerLink[];
}

/** A complete layer document from explicit technique entries (coverage layers reuse this). */
export function buildLayer(shape: LayerShape): NavigatorLayer {
  return {
    name: shape.name,
    versions: { attack: shape.attackVersion.split('.')[0] || shape.attackVersion, navigator: NAVIGATOR_VERSION, layer: LAYER_FORMAT },
    domain: shape.domain,
    description: shape.description,
    sorting: 3,
    layout: {
      layout: 'side', showID: true, showName: true, showAggregateScores: false, countUnscored: false, aggregateFunction: 'average',
      expandedSubtechniques: 'none',
    },
    hideDisabled: false,
    techniques: shape.techniques,
    gradient: shape.gradient,
    legendItems: shape.legendItems,
    showTacticRowBackground: false,
    tacticRowBackground: '#dddddd',
    selectTechniquesAcrossTactics: true,
    selectSubtechniquesWithParent: false,
    selectVisibleTechniques: false,
    metadata: shape.metadata ?? [],
    links: shape.links ?? [],
  };
}

export interface NavigatorLayerOptions {
  context: LayerContext;
  measure: Measure;
  domain?: Domain;
  /** Every technique's summary, counted for `stack` when there is one (page/summary.ts). */
  summaries: readonly TechniqueSummary[];
  name?: string;
  description?: string;
  /** Link of each technique to its Purplebook page, when the site's address is known. */
  pageUrl?: (id: string) => string;
  /** Restrict to a threat's techniques: the others are listed disabled, without score. */
  selection?: ThreatSelection;
  /** The control stack the summaries count (named in the layer). */
  stack?: Stack;
}

const attackUrl = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}`;

/** Our page first (when the site's address is known), then ATT&CK's. */
function techniqueLinks(id: string, pageUrl?: (id: string) => string): LayerLink[] {
  const links: LayerLink[] = [{ label: 'MITRE ATT&CK', url: attackUrl(id) }];
  if (pageUrl) links.unshift({ label: 'Purplebook page', url: pageUrl(id) });
  return links;
}

function outsideSelection(id: string, links: LayerLink[]): LayerTechnique {
  return { techniqueID: id, enabled: false, comment: 'not used by the selected threats', links, showSubtechniques: false };
}

function threatNamesOf(selection?: ThreatSelection): Map<string, string> {
  return new Map((selection?.threats ?? []).map((t) => [t.id, t.kind === 'list' ? t.name : `${t.name} (${t.id})`]));
}

function selectionName(selection: ThreatSelection): string {
  const names = [...threatNamesOf(selection).values()];
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

function selectionMetadata(selection?: ThreatSelection): LayerMetadata[] {
  return selection ? [{ name: 'threats', value: [...threatNamesOf(selection).values()].join(', ') }] : [];
}

function activeIds(context: LayerContext, domain: Domain): readonly string[] {
  return context.activeIds.get(domain) ?? [];
}

function techniqueComment(t: TechniqueSummary): string {
  const s = t.summary;
  return `${s.policy_volume} controls · ${s.detection_volume} detections · ${s.test_volume} tests — ${s.validation}`
    + (s.guidance_volume ? ` (${s.guidance_volume} guidance, not counted)` : '');
}

function stackMetadata(stack?: Stack): LayerMetadata[] {
  return stack ? [{ name: 'stack', value: stackLabel(stack) }] : [];
}

/** The layer of one measure over every active technique of a domain. */
export function navigatorLayer(opts: NavigatorLayerOptions): NavigatorLayer {
  const measure = opts.measure;
  const domain = opts.domain ?? 'enterprise-attack';
  const techniques = opts.summaries.filter((t) => t.domain === domain && t.status === 'active');
  const inScope = (id: string) => !opts.selection || opts.selection.techniques.has(id);
  const values = techniques.map((t) => measure.value(t));
  const edges = measure.kind === 'count' ? countEdges(values.filter((_, i) => inScope(techniques[i]!.id))) : [];
  const legend = legendFor(measure, edges);
  const threatNames = threatNamesOf(opts.selection);

  const entries = techniques.map((t, i): LayerTechnique => {
    if (!inScope(t.id)) return outsideSelection(t.id, techniqueLinks(t.id, opts.pageUrl));
    const value = values[i]!;
    const key = measure.kind === 'class' ? `v${value}` : colourKey(measure, countLevel(value, edges), edges.length);
    const users = opts.selection?.techniques.get(t.id) ?? [];
    return {
      techniqueID: t.id,
      score: value,
      color: colourOf(key).fill,
      comment: techniqueComment(t) + (users.length ? ` — used by ${users.map((u) => threatNames.get(u) ?? u).join(', ')}` : ''),
      enabled: true,
      metadata: [
        { name: 'validation', value: t.summary.validation },
        { name: 'controls', value: String(t.summary.policy_volume) },
        { name: 'detections', value: String(t.summary.detection_volume) },
        ...(t.summary.guidance_volume ? [{ name: 'guidance', value: String(t.summary.guidance_volume) }] : []),
        { name: 'tests', value: String(t.summary.test_volume) },
        ...(measure.id.startsWith('source-') ? [{ name: measure.label, value: String(value) }] : []),
        ...(users.length ? [{ name: 'threats', value: users.map((u) => threatNames.get(u) ?? u).join(', ') }] : []),
      ],
      links: techniqueLinks(t.id, opts.pageUrl),
      showSubtechniques: false,
    };
  });

  const top = measure.kind === 'class' ? legend.length - 1 : Math.max(1, edges[edges.length - 1] ?? 1);
  const domainName = domain.replace('-attack', '');
  return buildLayer({
    domain,
    attackVersion: opts.context.attackVersion,
    name: opts.name ?? `Purplebook: ${measure.label} (${domainName})${opts.selection ? ` — ${selectionName(opts.selection)}` : ''}${opts.stack ? ` — stack ${opts.stack.name ?? opts.stack.sources.join(', ')}` : ''}`,
    description: opts.description
      ?? `${measure.label}: ${measure.description}, per ${domainName} technique${opts.selection ? ` used by ${selectionName(opts.selection)} (others disabled)` : ''}${opts.stack ? `, counting the control stack ${stackLabel(opts.stack)} only` : ''}, from the Purplebook knowledge base built ${opts.context.builtAt} (ATT&CK ${opts.context.attackVersion}).`,
    techniques: entries,
    gradient: { colors: legend.map((l) => l.fill), minValue: 0, maxValue: top },
    legendItems: legend.map((l) => ({ label: l.label, color: l.fill })),
    metadata: [{ name: 'generator', value: 'purplebook' }, { name: 'measure', value: measure.id }, ...selectionMetadata(opts.selection), ...stackMetadata(opts.stack)],
  });
}

export interface ThreatLayerOptions {
  context: LayerContext;
  selection: ThreatSelection;
  domain?: Domain;
  pageUrl?: (id: string) => string;
}

/** Score = how many of the selected threats use the technique; techniques no threat uses are disabled. */
export function threatLayer(opts: ThreatLayerOptions): NavigatorLayer {
  const domain = opts.domain ?? 'enterprise-attack';
  const names = threatNamesOf(opts.selection);
  const ids = activeIds(opts.context, domain);
  const users = (id: string) => opts.selection.techniques.get(id) ?? [];
  const values = ids.filter((id) => users(id).length).map((id) => users(id).length);
  const edges = countEdges(values);
  const measure = { kind: 'count' as const, id: 'threat', label: 'Threats', description: 'selected threats using the technique', value: () => 0 };
  const legend = legendFor(measure, edges);
  const entries = ids.map((id): LayerTechnique => {
    const u = users(id);
    if (!u.length) return outsideSelection(id, techniqueLinks(id, opts.pageUrl));
    const list = u.map((x) => names.get(x) ?? x);
    return {
      techniqueID: id, score: u.length, color: colourOf(colourKey(measure, countLevel(u.length, edges), edges.length)).fill,
      comment: `used by ${list.join(', ')}`, enabled: true,
      metadata: [{ name: 'threats', value: list.join(', ') }], links: techniqueLinks(id, opts.pageUrl), showSubtechniques: false,
    };
  });
  const domainName = domain.replace('-attack', '');
  return buildLayer({
    domain, attackVersion: opts.context.attackVersion,
    name: `Purplebook: threat techniques (${domainName}) — ${selectionName(opts.selection)}`,
    description: `Techniques used by ${selectionName(opts.selection)} (ATT&CK ${opts.context.attackVersion} \`uses\`; a sub-technique marks its parent); score = number of selected threats using it.`,
    techniques: entries,
    gradient: { colors: legend.map((l) => l.fill), minValue: 0, maxValue: Math.max(1, edges[edges.length - 1] ?? 1) },
    legendItems: legend.map((l) => ({ label: l.label, color: l.fill })),
    metadata: [{ name: 'generator', value: 'purplebook' }, { name: 'measure', value: 'threat' }, ...selectionMetadata(opts.selection)],
  });
}

/** Colours of the own-rule layer: the site's validation colours (none / partial / covered). */
const OWN_COLOURS = { gap: VALIDATION_COLORS[0]!.fill, partial: VALIDATION_COLORS[1]!.fill, covered: VALIDATION_COLORS[3]!.fill };

export interface OwnRulesLayerOptions {
  context: LayerContext;
  report: CoverageReport;
  pageUrl?: (id: string) => string;
  name?: string;
}

/**
 * Own-rule coverage: score = number of own rules on the technique itself (0 for gaps and for
 * parents covered only through sub-techniques), so a later `--baseline` reads "score > 0" as covered.
 */
export function ownRulesLayer(opts: OwnRulesLayerOptions): NavigatorLayer {
  const r = opts.report;
  const byId = new Map(r.techniques.map((t) => [t.id, t]));
  const selection = r.threats !== undefined;
  const ids = selection ? activeIds(opts.context, r.domain) : r.techniques.map((t) => t.id);
  const gained = new Set(r.baseline?.gained);
  const lost = new Set(r.baseline?.lost);
  const entries = ids.map((id): LayerTechnique => {
    const t = byId.get(id);
    if (!t) return outsideSelection(id, techniqueLinks(id, opts.pageUrl));
    const own = t.ownRules.length;
    const status = t.status === 'covered' ? `${own} own rule${own === 1 ? '' : 's'}`
      : t.status === 'partial' ? `no own rule on the technique; ${t.ownViaSubtechniques} on sub-techniques` : 'no own rule';
    const metadata: LayerMetadata[] = [
      { name: 'status', value: t.status },
      { name: 'own rules', value: String(own) },
      ...t.ownRules.slice(0, 10).map((x) => ({ name: 'rule', value: `${x.title} (${x.file})` })),
      { name: 'public detections', value: String(t.detectionVolume) },
      { name: 'public tests', value: String(t.testVolume) },
      { name: 'controls', value: String(t.policyVolume) },
      ...(t.priority ? [{ name: 'gap priority', value: String(t.priority) }] : []),
      ...(t.threats.length ? [{ name: 'threats', value: t.threats.join(', ') }] : []),
      ...(gained.has(id) ? [{ name: 'since baseline', value: 'gained' }] : lost.has(id) ? [{ name: 'since baseline', value: 'lost' }] : []),
    ];
    return {
      techniqueID: id, score: own, color: OWN_COLOURS[t.status],
      comment: `${status} · ${t.detectionVolume} public detections · ${t.testVolume} public tests · ${t.policyVolume} controls`,
      enabled: true, metadata, links: techniqueLinks(id, opts.pageUrl), showSubtechniques: false,
    };
  });
  const domainName = r.domain.replace('-attack', '');
  const names = (r.threats ?? []).map((t) => (t.kind === 'list' ? t.name : `${t.name} (${t.id})`));
  const scope = names.length ? names.join(', ') : `all ${domainName} techniques`;
  const max = Math.max(1, ...r.techniques.map((t) => t.ownRules.length));
  return buildLayer({
    domain: r.domain, attackVersion: r.attackVersion,
    name: opts.name ?? `Purplebook: own-rule coverage (${domainName})${names.length ? ` — ${names.slice(0, 3).join(', ')}${names.length > 3 ? ' …' : ''}` : ''}`,
    description: `Own detection rules per technique of ${scope}: ${r.summary.covered} / ${r.summary.total} covered, ${r.summary.partial} partially (sub-techniques only). Score = own rules on the technique.`,
    techniques: entries,
    gradient: { colors: [OWN_COLOURS.gap, OWN_COLOURS.covered], minValue: 0, maxValue: max },
    legendItems: [
      { label: 'no own rule', color: OWN_COLOURS.gap },
      { label: 'own rules on sub-techniques only', color: OWN_COLOURS.partial },
      { label: 'covered by own rules', color: OWN_COLOURS.covered },
    ],
    metadata: [
      { name: 'generator', value: 'purplebook' }, { name: 'measure', value: 'own' },
      { name: 'covered', value: `${r.summary.covered} / ${r.summary.total}` },
      ...(names.length ? [{ name: 'threats', value: names.join(', ') }] : []),
      ...(r.baseline ? [{ name: 'since baseline', value: `${r.baseline.gained.length} gained, ${r.baseline.lost.length} lost of ${r.baseline.covered} covered then` }] : []),
    ],
  });
}
