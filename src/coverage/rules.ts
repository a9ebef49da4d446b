/**
 * Own rules → techniques of the loaded ATT&CK. Ids are normalized with the shared resolver's
 * normalization and revocations are followed through the knowledge base, so an own rule tagged
 * with a revoked id counts for the technique that replaced it, exactly as public rules do.
 *
 * One rule for every format: a rule covers the most specific techniques it names. A parent
 * technique named together with one of its own sub-techniques (Elastic's layout nests every
 * sub-technique under its parent) is not covered by that rule: the parent counts as partial.
 */
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import { isTechniqueId, normalizeTechniqueId, replacementsOf } from '../resolve.js';
import type { OwnRule, OwnRuleSet } from '../rules/types.js';

export interface OwnRuleRef {
  key: string;
  file: string;
  format: OwnRule['format'];
  id?: string;
  title: string;
}

export type UnknownReason = 'not a technique id' | 'unknown to the loaded ATT&CK' | 'deprecated technique' | 'other domain';

export interface UnknownRuleId {
  rule: string;
  file: string;
  raw: string;
  reason: UnknownReason;
}

/** A rule that names a parent technique and sub-techniques of it: the parent is not counted as covered by it. */
export interface ParentWithSubtechniques {
  rule: string;
  file: string;
  parent: string;
  subtechniques: string[];
}

export interface ResolvedRules {
  /** Active technique of the domain → non-deprecated own rules mapped to it (in rule order). */
  byTechnique: Map<string, OwnRuleRef[]>;
  /** total = deprecated + mapped + unmapped + idsNotCounted. */
  total: number;
  deprecated: number;
  /** Non-deprecated rules that map to at least one active technique of the domain. */
  mapped: number;
  unmapped: OwnRuleRef[];
  /** Non-deprecated rules with ATT&CK ids none of which counts (unknown, other domain, deprecated technique). */
  idsNotCounted: OwnRuleRef[];
  unknownIds: UnknownRuleId[];
  revoked: { rule: string; file: string; raw: string; ids: string[] }[];
  parentsWithSubtechniques: ParentWithSubtechniques[];
  /** Correlation rules counted for the techniques of the rules they correlate. */
  correlations: { rule: string; file: string; title: string; from: string[] }[];
  /** Where the ids were found, for formats with several layouts: "Elastic TOML [[rule.threat]]" → rules. */
  layouts: Record<string, number>;
}

const FORMAT_LABEL: Record<OwnRule['format'], string> = {
  'sigma': 'Sigma', 'elastic-toml': 'Elastic TOML', 'kibana-ndjson': 'Kibana NDJSON', 'splunk-escu': 'Splunk ESCU', 'splunk-savedsearches': 'Splunk savedsearches',
};

export const ruleRef = (r: OwnRule): OwnRuleRef => ({ key: r.key, file: r.file, format: r.format, ...(r.id ? { id: r.id } : {}), title: r.title });

export function resolveOwnRules(kb: KnowledgeBase, set: OwnRuleSet | undefined, domain: Domain): ResolvedRules {
  const out: ResolvedRules = {
    byTechnique: new Map(), total: 0, deprecated: 0, mapped: 0, unmapped: [], idsNotCounted: [], unknownIds: [], revoked: [],
    parentsWithSubtechniques: [], correlations: [], layouts: {},
  };
  if (!set) return out;
  out.total = set.rules.length;
  for (const rule of set.rules) {
    if (rule.mappedVia) {
      const k = `${FORMAT_LABEL[rule.format]} ${rule.mappedVia}`;
      out.layouts[k] = (out.layouts[k] ?? 0) + 1;
    }
    if (rule.deprecated) {
      out.deprecated++;
      continue;
    }
    const ref = ruleRef(rule);
    if (rule.idsFrom?.length) out.correlations.push({ rule: rule.key, file: rule.file, title: rule.title, from: rule.idsFrom });
    if (!rule.techniqueIds.length) {
      out.unmapped.push(ref);
      continue;
    }
    const targets = new Set<string>();
    const unknown = (raw: string, reason: UnknownReason) => out.unknownIds.push({ rule: rule.key, file: rule.file, raw, reason });
    for (const raw of rule.techniqueIds) {
      const id = normalizeTechniqueId(raw);
      if (!isTechniqueId(id)) {
        unknown(raw, 'not a technique id');
        continue;
      }
      const t = kb.technique(id);
      if (!t) {
        unknown(raw, 'unknown to the loaded ATT&CK');
        continue;
      }
      let ids = [id];
      if (t.status === 'revoked') {
        ids = replacementsOf(id, (x) => kb.technique(x));
        out.revoked.push({ rule: rule.key, file: rule.file, raw, ids });
        if (!ids.length) {
          unknown(raw, 'unknown to the loaded ATT&CK');
          continue;
        }
      }
      for (const x of ids) {
        const row = x === id ? t : kb.technique(x)!;
        if (row.status === 'deprecated') unknown(raw, 'deprecated technique');
        else if (row.domain !== domain) unknown(raw, 'other domain');
        else targets.add(x);
      }
    }
    for (const x of [...targets]) {
      const subs = [...targets].filter((y) => y.startsWith(`${x}.`));
      if (!subs.length) continue;
      targets.delete(x);
      out.parentsWithSubtechniques.push({ rule: rule.key, file: rule.file, parent: x, subtechniques: subs.sort() });
    }
    if (targets.size) out.mapped++;
    else out.idsNotCounted.push(ref);
    for (const x of targets) {
      const list = out.byTechnique.get(x);
      if (list) list.push(ref);
      else out.byTechnique.set(x, [ref]);
    }
  }
  return out;
}
