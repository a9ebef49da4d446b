/**
 * ATT&CK Navigator layers (layer format 4.5): a measure over every active technique of a domain,
 * scored and coloured exactly as the site's matrix colours it.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import {
  colourKey, colourOf, countEdges, countLevel, findMeasure, legendFor, summarizeAll, type Measure, type TechniqueSummary,
} from '../site/measures.js';

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
  kb: KnowledgeBase;
  /** A measure id (`detections`, `validation`, `source-sigma` …) or a measure object. */
  measure: string | Measure;
  domain?: Domain;
  /** Summaries already computed (the site and the server keep them per knowledge base). */
  summaries?: readonly TechniqueSummary[];
  name?: string;
  description?: string;
  /** Link of each technique to its Purplebook page, when the site's address is known. */
  pageUrl?: (id: string) => string;
}

const attackUrl = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}`;

export class UnknownMeasureError extends Error {}

function techniqueComment(t: TechniqueSummary): string {
  const s = t.summary;
  return `${s.policy_volume} controls · ${s.detection_volume} detections · ${s.test_volume} tests — ${s.validation}`;
}

/** The layer of one measure over every active technique of a domain. */
export function navigatorLayer(opts: NavigatorLayerOptions): NavigatorLayer {
  const measure = typeof opts.measure === 'string' ? findMeasure(opts.kb, opts.measure) : opts.measure;
  if (!measure) throw new UnknownMeasureError(`unknown measure "${String(opts.measure)}"`);
  const domain = opts.domain ?? 'enterprise-attack';
  const all = opts.summaries ?? summarizeAll(opts.kb);
  const techniques = all.filter((t) => t.domain === domain && t.status === 'active');
  const values = techniques.map((t) => measure.value(t));
  const edges = measure.kind === 'count' ? countEdges(values) : [];
  const legend = legendFor(measure, edges);

  const entries = techniques.map((t, i): LayerTechnique => {
    const value = values[i]!;
    const key = measure.kind === 'class' ? `v${value}` : colourKey(measure, countLevel(value, edges), edges.length);
    const links: LayerLink[] = [{ label: 'MITRE ATT&CK', url: attackUrl(t.id) }];
    if (opts.pageUrl) links.unshift({ label: 'Purplebook page', url: opts.pageUrl(t.id) });
    return {
      techniqueID: t.id,
      score: value,
      color: colourOf(key).fill,
      comment: techniqueComment(t),
      enabled: true,
      metadata: [
        { name: 'validation', value: t.summary.validation },
        { name: 'controls', value: String(t.summary.policy_volume) },
        { name: 'detections', value: String(t.summary.detection_volume) },
        { name: 'tests', value: String(t.summary.test_volume) },
        ...(measure.id.startsWith('source-') ? [{ name: measure.label, value: String(value) }] : []),
      ],
      links,
      showSubtechniques: false,
    };
  });

  const top = measure.kind === 'class' ? legend.length - 1 : Math.max(1, edges[edges.length - 1] ?? 1);
  const domainName = domain.replace('-attack', '');
  return buildLayer({
    domain,
    attackVersion: opts.kb.attackVersion,
    name: opts.name ?? `Purplebook: ${measure.label} (${domainName})`,
    description: opts.description
      ?? `${measure.label}: ${measure.description}, per ${domainName} technique, from the Purplebook knowledge base built ${opts.kb.meta('built_at') ?? ''} (ATT&CK ${opts.kb.attackVersion}).`,
    techniques: entries,
    gradient: { colors: legend.map((l) => l.fill), minValue: 0, maxValue: top },
    legendItems: legend.map((l) => ({ label: l.label, color: l.fill })),
    metadata: [{ name: 'generator', value: 'purplebook' }, { name: 'measure', value: measure.id }],
  });
}
