/**
 * The `results` layer measure: per technique the best outcome of its fresh executions (score 1
 * not-run … 7 prevented, 0 no result); techniques whose results are all older than the window
 * are marked stale (score 0, their own colour); validated ones say so in their metadata.
 */
import type { Domain } from '../attack/types.js';
import type { LayerContext } from '../kb/layer-context.js';
import { buildLayer, type LayerLink, type LayerTechnique, type NavigatorLayer } from '../render/layer.js';
import type { ThreatSelection } from '../threats/select.js';
import { OUTCOMES, outcomeRank, type Outcome } from './outcomes.js';
import type { TechniqueResults } from './view.js';

/** Colour per outcome, worst to best (red for a confirmed gap, greens for what the defence did). */
export const OUTCOME_COLOURS: Record<Outcome, string> = {
  'not-run': '#e0e0e0', blocked: '#d6cfe6', 'not-detected': '#f29e94', ran: '#fbe3a4', logged: '#c9dcf5', alerted: '#a9dba0', prevented: '#5fb157',
};
/** Fill of a technique without results, and of one whose results are all stale (the matrix uses them too). */
export const NO_RESULT_COLOUR = '#f5f5f5';
export const STALE_COLOUR = '#bdbdbd';
const NONE = NO_RESULT_COLOUR;
const STALE = STALE_COLOUR;

export interface ResultsLayerOptions {
  context: LayerContext;
  results: ReadonlyMap<string, TechniqueResults>;
  domain?: Domain;
  maxAgeDays: number;
  selection?: ThreatSelection;
  pageUrl?: (id: string) => string;
}

const attackUrl = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}`;

export function resultsLayer(o: ResultsLayerOptions): NavigatorLayer {
  const domain = o.domain ?? 'enterprise-attack';
  const ids = o.context.activeIds.get(domain) ?? [];
  let withResults = 0;
  let validated = 0;
  const entries = ids.map((id): LayerTechnique => {
    const links: LayerLink[] = [{ label: 'MITRE ATT&CK', url: attackUrl(id) }];
    if (o.pageUrl) links.unshift({ label: 'Purplebook page', url: o.pageUrl(id) });
    if (o.selection && !o.selection.techniques.has(id)) return { techniqueID: id, enabled: false, comment: 'not used by the selected threats', links, showSubtechniques: false };
    const r = o.results.get(id);
    if (!r) return { techniqueID: id, score: 0, color: NONE, comment: 'no result recorded', enabled: true, links, showSubtechniques: false };
    withResults++;
    if (r.validated) validated++;
    const latest = r.executions[0]!;
    const metadata = [
      { name: 'executions', value: String(r.executions.length) },
      { name: 'latest', value: `${latest.current?.outcome ?? 'none'} ${latest.startedAt || latest.current?.recordedAt || ''}`.trim() },
      { name: 'validated', value: r.validated ? 'yes' : 'no' },
    ];
    if (r.stale) {
      return {
        techniqueID: id, score: 0, color: STALE, comment: `stale: every result is older than ${o.maxAgeDays} days (best then: ${r.bestEver ?? 'none'})`,
        enabled: true, metadata: [...metadata, { name: 'stale', value: 'yes' }], links, showSubtechniques: false,
      };
    }
    const best = r.best;
    // Fresh executions whose outcome nobody recorded yet.
    if (!best) return { techniqueID: id, score: 0, color: NONE, comment: 'no outcome recorded yet', enabled: true, metadata, links, showSubtechniques: false };
    return {
      techniqueID: id, score: outcomeRank(best) + 1, color: OUTCOME_COLOURS[best],
      comment: `best outcome within ${o.maxAgeDays} days: ${best}${r.validated ? ' (validated)' : ''}`, enabled: true,
      metadata: [{ name: 'best outcome', value: best }, ...metadata], links, showSubtechniques: false,
    };
  });
  const domainName = domain.replace('-attack', '');
  return buildLayer({
    domain, attackVersion: o.context.attackVersion,
    name: `Purplebook: validation results (${domainName})`,
    description: `Best outcome of the tests run against each ${domainName} technique within ${o.maxAgeDays} days (score 1 not-run … 7 prevented; 0 no result or stale): `
      + `${withResults} techniques with results, ${validated} validated (prevented, or alerted by an own rule).`,
    techniques: entries,
    gradient: { colors: [NONE, ...OUTCOMES.map((x) => OUTCOME_COLOURS[x])], minValue: 0, maxValue: OUTCOMES.length },
    legendItems: [
      { label: 'no result', color: NONE }, { label: `stale (older than ${o.maxAgeDays} days)`, color: STALE },
      ...OUTCOMES.map((x) => ({ label: x, color: OUTCOME_COLOURS[x] })),
    ],
    metadata: [{ name: 'generator', value: 'purplebook' }, { name: 'measure', value: 'results' }, { name: 'validated', value: String(validated) }],
  });
}
