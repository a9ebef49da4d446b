/**
 * The executable public rules of the knowledge base with their log-source facet: what the
 * telemetry analyses read. Only `kind = 'rule'` counts (guidance has nothing to run); deprecated
 * rules are left out.
 */
import type { KnowledgeBase, ResourceIdentity } from '../kb/open.js';
import { inStack, type Stack } from '../kb/stack.js';
import type { LogSourceRef, ResourceFacets } from '../sources/types.js';

export interface TelemetryRule extends ResourceIdentity {
  /** The facet as stored: undefined when the source does not state telemetry for this rule. */
  logSources?: LogSourceRef[];
  /** Technique ids the rule maps to (may be empty). */
  techniques: string[];
}

function logSourcesOf(text: string | null): LogSourceRef[] | undefined {
  if (!text) return undefined;
  try {
    const facets = JSON.parse(text) as ResourceFacets;
    return Array.isArray(facets.logSources) ? facets.logSources.filter((r) => r && typeof r === 'object' && typeof r.scheme === 'string') : undefined;
  } catch {
    // The column is JSON the build wrote; a row that is not states nothing.
    return undefined;
  }
}

export function readRules(kb: KnowledgeBase, stack?: Stack): TelemetryRule[] {
  const rows = kb.db.prepare(`SELECT id, source, key, upstream_id, title, url, facets FROM resources WHERE kind = 'rule' AND deprecated = 0 ORDER BY source, key`).all() as {
    id: number; source: string; key: string; upstream_id: string | null; title: string; url: string | null; facets: string | null;
  }[];
  const techniques = new Map<number, string[]>();
  const maps = kb.db.prepare(`SELECT m.resource, m.technique FROM mappings m JOIN resources r ON r.id = m.resource WHERE r.kind = 'rule' AND r.deprecated = 0`).raw().all() as [number, string][];
  for (const [resource, technique] of maps) {
    const list = techniques.get(resource);
    if (list) list.push(technique);
    else techniques.set(resource, [technique]);
  }
  return rows.filter((r) => inStack(stack, r.source)).map((r) => ({
    rowid: r.id, source: r.source, key: r.key, upstreamId: r.upstream_id, title: r.title, url: r.url,
    logSources: logSourcesOf(r.facets), techniques: techniques.get(r.id) ?? [],
  }));
}
