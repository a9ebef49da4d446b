/** The techniques a report or plan considers: the threat's, in one domain, active only. */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase, TechniqueRow } from '../kb/open.js';
import type { ThreatSelection } from '../threats/select.js';

export interface Scope {
  /** Technique ids in id order. */
  ids: string[];
  /** Selected techniques left out, and why. */
  excluded: { id: string; reason: string }[];
  rows: Map<string, TechniqueRow>;
}

/** The selection's techniques in `domain` that are active; without a selection, every active technique of the domain. */
export function scopeOf(kb: KnowledgeBase, domain: Domain, selection: ThreatSelection | undefined): Scope {
  const rows = new Map(kb.techniques().map((t) => [t.id, t]));
  const excluded: { id: string; reason: string }[] = [];
  if (!selection) return { ids: [...rows.values()].filter((t) => t.domain === domain && t.status === 'active').map((t) => t.id).sort(), excluded, rows };
  const ids: string[] = [];
  for (const id of [...selection.techniques.keys()].sort()) {
    const t = rows.get(id);
    if (!t) excluded.push({ id, reason: 'not in the loaded ATT&CK' });
    else if (t.domain !== domain) excluded.push({ id, reason: `${t.domain.replace('-attack', '')} technique` });
    else if (t.status !== 'active') excluded.push({ id, reason: t.status });
    else ids.push(id);
  }
  return { ids, excluded, rows };
}
