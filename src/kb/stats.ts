/** `stats`: ATT&CK counts per domain and per-source totals, computed from the knowledge base. */
import type { KnowledgeBase, SourceCounts } from './open.js';

export interface DomainStats {
  techniques: number;
  subtechniques: number;
  revoked: number;
  deprecated: number;
}

export interface SourceStats extends SourceCounts {
  name: string;
  title: string;
  pillar: string;
  loaded: boolean;
  repository: string | null;
  commit: string | null;
  accessed: string | null;
  attackVersions: string[];
  unknownIdList: string[];
  hint?: string;
}

export interface Stats {
  attack: { version: string; versionSource: string; domains: Record<string, DomainStats> };
  sources: SourceStats[];
  warnings: { total: number; bySource: Record<string, number> };
}

export function computeStats(kb: KnowledgeBase): Stats {
  const domains: Record<string, DomainStats> = {};
  const rows = kb.db.prepare(`SELECT domain,
      SUM(status = 'active' AND is_sub = 0) AS techniques, SUM(status = 'active' AND is_sub = 1) AS subtechniques,
      SUM(status = 'revoked') AS revoked, SUM(status = 'deprecated') AS deprecated
    FROM techniques GROUP BY domain ORDER BY domain`).all() as ({ domain: string } & DomainStats)[];
  for (const r of rows) domains[r.domain] = { techniques: r.techniques, subtechniques: r.subtechniques, revoked: r.revoked, deprecated: r.deprecated };
  const bySource: Record<string, number> = {};
  for (const r of kb.db.prepare('SELECT source, COUNT(*) AS n FROM warnings GROUP BY source ORDER BY source').all() as { source: string; n: number }[]) {
    bySource[r.source] = r.n;
  }
  const version = kb.attackVersion;
  return {
    attack: { version, versionSource: kb.meta('attack_version_source') ?? 'unknown', domains },
    sources: kb.sources().map((s) => {
      const unknownIdList = kb.unknownIds(s.name).map((u) => u.technique);
      const out: SourceStats = {
        name: s.name, title: s.title, pillar: s.pillar, loaded: s.loaded, repository: s.repository, commit: s.commit, accessed: s.accessed,
        attackVersions: s.attackVersions, resources: s.resources, mappings: s.mappings, techniques: s.techniques, deprecated: s.deprecated,
        unknownIds: s.unknownIds, unknownIdList, warnings: s.warnings,
      };
      if (s.unknownIds) out.hint = `${s.unknownIds} technique id(s) unknown to the loaded ATT&CK ${version} (newer ATT&CK?): load a newer release with \`purplebook sync --attack-version\``;
      return out;
    }),
    warnings: { total: Object.values(bySource).reduce((a, b) => a + b, 0), bySource },
  };
}
