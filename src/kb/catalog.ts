/**
 * The source catalog: every known source (registry + unavailable ones) joined with its state in a KB,
 * plus any source the KB holds that the registry does not know (built by another version): nothing
 * loaded goes unlisted. The CLI, the site and the API all list this.
 */
import { ALL_SOURCES } from '../sources/registry.js';
import type { Pillar } from '../core/types.js';
import { UNAVAILABLE_SOURCES } from '../sources/unavailable.js';
import type { KnowledgeBase, SourceRow } from './open.js';

export interface CatalogEntry {
  name: string;
  title: string;
  pillar: Pillar;
  homepage: string;
  upstream: string | null;
  license: string | null;
  resourceKind: string | null;
  mapsVia: string | null;
  /** loaded: in the KB; absent: known but its folder was not in the data; not built: no KB yet; unavailable: cannot be had offline. */
  state: 'loaded' | 'absent' | 'not built' | 'unavailable';
  attackVersions: string[];
  commit: string | null;
  accessed: string | null;
  resources: number;
  mappings: number;
  techniques: number;
  warnings: number;
  /**
   * Detection sources: whether their resources are executable rules (counted as detections) or
   * guidance (shown, not counted), or decided per record; and why, from the upstream data.
   */
  detectionKind: { kind: 'rule' | 'guidance' | 'per record'; why: string } | null;
  /** Mapped resources that are guidance (the rest of `resources` are rules). */
  guidance: number;
  why?: string;
}

export function sourceCatalog(kb?: KnowledgeBase): CatalogEntry[] {
  const rows = new Map((kb?.sources() ?? []).map((s) => [s.name, s]));
  const known: CatalogEntry[] = ALL_SOURCES.map((s) => {
    const row = rows.get(s.name);
    return {
      name: s.name, title: s.title, pillar: s.pillar, homepage: s.homepage, upstream: s.upstream?.repo ?? row?.repository ?? null,
      license: s.license, resourceKind: s.resourceKind, mapsVia: s.mapsVia,
      state: !kb ? 'not built' : row?.loaded ? 'loaded' : 'absent',
      attackVersions: row?.attackVersions ?? [], commit: row?.commit ?? null, accessed: row?.accessed ?? null,
      resources: row?.resources ?? 0, mappings: row?.mappings ?? 0, techniques: row?.techniques ?? 0, warnings: row?.warnings ?? 0,
      detectionKind: s.pillar !== 'detection' ? null
        : { kind: s.detectionKind?.perRecord ? 'per record' : (s.detectionKind?.kind ?? 'rule'), why: s.detectionKind?.why ?? 'no kind declared: counted as rules' },
      guidance: row?.guidance ?? 0,
      ...(kb && !row?.loaded ? { why: `no \`${s.folder}/\` folder in the data (run \`purplebook sync --source ${s.name}\`)` } : {}),
    };
  });
  const unavailable: CatalogEntry[] = UNAVAILABLE_SOURCES.map((u) => ({
    name: u.name, title: u.title, pillar: u.pillar, homepage: u.homepage, upstream: null, license: null, resourceKind: null, mapsVia: null,
    state: 'unavailable', attackVersions: [], commit: null, accessed: null, resources: 0, mappings: 0, techniques: 0, warnings: 0,
    detectionKind: null, guidance: 0, why: u.why,
  }));
  const names = new Set(ALL_SOURCES.map((s) => s.name));
  const extra = [...rows.values()].filter((s) => !names.has(s.name)).sort((a, b) => a.order - b.order || a.name.localeCompare(b.name)).map(entryOfRow);
  const rank = { policy: 0, detection: 1, test: 2 } as const;
  const order = new Map(ALL_SOURCES.map((s) => [s.name, s.order]));
  // Registry order within a pillar; sources the registry does not know come after it, in the KB's order.
  return [...known, ...unavailable].sort((a, b) => rank[a.pillar] - rank[b.pillar] || (order.get(a.name) ?? 999) - (order.get(b.name) ?? 999) || a.name.localeCompare(b.name))
    .concat(extra).sort((a, b) => rank[a.pillar] - rank[b.pillar]);
}

function entryOfRow(s: SourceRow): CatalogEntry {
  return {
    name: s.name, title: s.title, pillar: s.pillar, homepage: s.homepage, upstream: s.repository, license: s.license,
    resourceKind: s.resourceKind, mapsVia: s.mapsVia, state: s.loaded ? 'loaded' : 'absent', attackVersions: s.attackVersions,
    commit: s.commit, accessed: s.accessed, resources: s.resources, mappings: s.mappings, techniques: s.techniques, warnings: s.warnings,
    detectionKind: s.detectionKind && s.detectionKindWhy ? { kind: s.detectionKind, why: s.detectionKindWhy } : null, guidance: s.guidance,
    ...(s.loaded ? {} : { why: `no \`${s.folder}/\` folder in the data` }),
  };
}

/** What a detection source's resources count as: rules are detections, guidance is shown beside them. */
export function kindText(s: CatalogEntry): string {
  const k = s.detectionKind;
  if (!k) return '';
  const label = k.kind === 'rule' ? 'executable rules' : k.kind === 'guidance' ? 'guidance (not counted as detections)' : 'decided per record';
  const split = s.state === 'loaded' && k.kind === 'per record' ? ` (${s.resources - s.guidance} rules, ${s.guidance} guidance)` : '';
  return `${label}${split}: ${k.why}`;
}
