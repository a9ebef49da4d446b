/**
 * The offensive tests of the knowledge base, by their upstream ids: what a log's GUID or ability
 * id names. Read once per import (a few thousand rows) rather than looked up per row.
 */
import type { KnowledgeBase } from '../kb/open.js';
import type { ResourceFacets } from '../sources/types.js';

export interface CatalogTest {
  source: string;
  sourceTitle: string;
  key: string;
  /** Upstream id as the source writes it (Atomic GUID, Caldera ability id …). */
  id: string;
  name: string;
  url: string | null;
  /** Techniques of the loaded ATT&CK the test maps to. */
  techniques: string[];
  platforms: string[];
  /** Atomic test number within its technique's file. */
  number?: number;
}

type Row = { source: string; key: string; upstream_id: string | null; title: string; url: string | null; meta: string | null; facets: string | null; techniques: string };

export class TestCatalog {
  private readonly byId = new Map<string, CatalogTest[]>();
  private readonly byKey = new Map<string, CatalogTest>();
  private readonly byTechnique = new Map<string, CatalogTest[]>();

  constructor(kb: KnowledgeBase) {
    const sources = kb.sources().filter((s) => s.pillar === 'test' && s.loaded);
    const titles = new Map(sources.map((s) => [s.name, s.title]));
    // Straight from the resources table: KnowledgeBase answers per technique, and an import needs every test at once.
    const rows = kb.db.prepare(`SELECT r.source, r.key, r.upstream_id, r.title, r.url, r.meta, r.facets,
        (SELECT json_group_array(m.technique) FROM mappings m WHERE m.resource = r.id) AS techniques
      FROM resources r WHERE r.source IN (SELECT value FROM json_each(?))`).all(JSON.stringify([...titles.keys()])) as Row[];
    for (const r of rows) {
      if (!r.upstream_id) continue;
      const meta = r.meta ? (JSON.parse(r.meta) as Record<string, unknown>) : {};
      const facets = r.facets ? (JSON.parse(r.facets) as ResourceFacets) : {};
      const test: CatalogTest = {
        source: r.source, sourceTitle: titles.get(r.source)!, key: r.key, id: r.upstream_id, name: r.title, url: r.url,
        techniques: (JSON.parse(r.techniques) as string[]).sort(), platforms: [...new Set(facets.platforms ?? [])],
        ...(typeof meta.number === 'number' ? { number: meta.number } : {}),
      };
      const id = test.id.toLowerCase();
      this.byId.set(id, [...(this.byId.get(id) ?? []), test]);
      this.byKey.set(`${r.source}\u0000${r.key}`, test);
      for (const t of test.techniques) this.byTechnique.set(t, [...(this.byTechnique.get(t) ?? []), test]);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The test with this upstream id (case-insensitive), in `source` when given. */
  find(id: string, source?: string): CatalogTest | undefined {
    const list = this.byId.get(id.trim().toLowerCase()) ?? [];
    return source ? list.find((t) => t.source === source) : list[0];
  }

  /** Atomic test `number` of the technique file `atomics/<folder>/<folder>.yaml`, trying each folder name. */
  atomicNumber(folders: readonly string[], number: number): CatalogTest | undefined {
    for (const f of folders) {
      const t = this.byKey.get(`atomic-red-team\u0000atomics/${f}/${f}.yaml#${number}`);
      if (t) return t;
    }
    return undefined;
  }

  /** Tests mapped to a technique (sorted by source, then key). */
  testsOf(technique: string): CatalogTest[] {
    return [...(this.byTechnique.get(technique) ?? [])].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.key < b.key ? -1 : 1));
  }
}
