/** Read access to a built knowledge base. Every view goes through these queries. */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Domain, Status } from '../attack/types.js';
import type { Pillar } from '../core/types.js';
import type { DetectionKind, ResourceFacets, RuleLogic, SourceInfo } from '../sources/types.js';
import type { ThreatProfile } from '../threats/profiles.js';
import { SCHEMA_VERSION } from './schema.js';
import { PurplebookError } from '../core/errors.js';

export interface TechniqueRow {
  id: string;
  domain: Domain;
  name: string;
  description: string;
  url: string;
  status: Status;
  revokedBy: string[];
  isSub: boolean;
  parent: string | null;
  tactics: string[];
  platforms: string[];
}

export interface TacticRow {
  domain: Domain;
  shortname: string;
  id: string;
  name: string;
  order: number;
  url: string;
}

/** What the build counted for one source. */
export interface SourceCounts {
  resources: number;
  mappings: number;
  techniques: number;
  deprecated: number;
  unknownIds: number;
  warnings: number;
}

export interface SourceRow extends Pick<SourceInfo, 'name' | 'title' | 'pillar' | 'order' | 'homepage' | 'folder'>, SourceCounts {
  repository: string | null;
  branch: string | null;
  commit: string | null;
  commitDate: string | null;
  accessed: string | null;
  accessedFrom: string;
  version: string | null;
  license: string | null;
  resourceKind: string | null;
  mapsVia: string | null;
  techniquePage: string | null;
  summaryFields: string[];
  loaded: boolean;
  attackVersions: string[];
  records: number;
  /** Detection sources: 'rule', 'guidance' or 'per record'; null for controls and tests. */
  detectionKind: DetectionKind | 'per record' | null;
  detectionKindWhy: string | null;
  /** Mapped, non-deprecated resources that are guidance (detection sources). */
  guidance: number;
}

/** Which resource a row is, and its link. */
export interface ResourceIdentity {
  rowid: number;
  source: string;
  key: string;
  upstreamId: string | null;
  title: string;
  url: string | null;
}

export interface MappedResource extends ResourceIdentity {
  breadcrumb: string[] | null;
  description: string | null;
  deprecated: boolean;
  file: string | null;
  meta: Record<string, unknown> | null;
  /** Detection resources: executable rule or guidance; null for controls and tests. */
  kind: DetectionKind | null;
  facets: ResourceFacets | null;
  logic: RuleLogic | null;
  technique: string;
  rawId: string;
  viaRevoked: string | null;
  relation: string | null;
  note: string | null;
  attackVersion: string | null;
}

export interface ActorRow {
  id: string;
  stixId: string;
  kind: 'group' | 'software' | 'campaign';
  name: string;
  aliases: string[];
  url: string;
  status: Status;
  revokedBy: string[];
  domains: Domain[];
}

export class KbError extends PurplebookError {}

type Row = Record<string, unknown>;

const json = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);

function techniqueFromRow(r: Row): TechniqueRow {
  return {
    id: r.id as string, domain: r.domain as Domain, name: r.name as string, description: r.description as string, url: r.url as string,
    status: r.status as Status, revokedBy: json(r.revoked_by, []), isSub: r.is_sub === 1, parent: (r.parent as string) ?? null,
    tactics: json(r.tactics, []), platforms: json(r.platforms, []),
  };
}

/** The resource half of a MappedResource: the same for every technique the resource maps to. */
type ResourcePart = Pick<MappedResource, 'rowid' | 'source' | 'key' | 'upstreamId' | 'title' | 'url' | 'breadcrumb' | 'description' | 'deprecated' | 'file' | 'meta' | 'kind' | 'facets' | 'logic'>;

const RESOURCE_COLUMNS = 'id, source, key, upstream_id, title, url, breadcrumb, description, deprecated, file, meta, kind, facets, logic';

/** A row of RESOURCE_COLUMNS in raw (array) mode, which better-sqlite3 returns faster than objects. */
function resourcePartFromRaw(r: unknown[]): ResourcePart {
  return {
    rowid: r[0] as number, source: r[1] as string, key: r[2] as string, upstreamId: (r[3] as string) ?? null,
    title: r[4] as string, url: (r[5] as string) ?? null, breadcrumb: json(r[6], null), description: (r[7] as string) ?? null,
    deprecated: r[8] === 1, file: (r[9] as string) ?? null, meta: json(r[10], null), kind: (r[11] as DetectionKind) ?? null,
    facets: json(r[12], null), logic: json(r[13], null),
  };
}

export class KnowledgeBase {
  readonly db: Database.Database;
  readonly path: string;
  private readonly stmts;
  private sourceCache?: SourceRow[];
  private tacticCache?: TacticRow[];
  private metaCache?: Map<string, string>;
  private assessmentCache?: Map<string, Map<string, string | null>>;
  /*
   * The file is opened read-only and never changes under an open handle (build writes a new file and
   * renames it), so parsed rows can be kept: a resource maps to ~3.4 techniques on average, and parsing
   * its JSON `meta` per mapping was the largest cost of page generation. Bounded by the KB's row count.
   * Cached objects (and their breadcrumb/meta/tactics/platforms) are shared between callers: read-only.
   */
  private readonly resourceCache = new Map<number, ResourcePart>();
  private readonly techniqueCache = new Map<string, TechniqueRow | null>();

  private constructor(path: string) {
    this.path = path;
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get();
    if (version !== String(SCHEMA_VERSION)) {
      this.db.close();
      throw new KbError(`${path} was built by another Purplebook version (schema ${String(version)}, expected ${SCHEMA_VERSION}): run \`purplebook build\``);
    }
    const db = this.db;
    this.stmts = {
      technique: db.prepare('SELECT * FROM techniques WHERE id = ?'),
      children: db.prepare('SELECT id FROM techniques WHERE parent = ? ORDER BY id').pluck(),
      allTechniques: db.prepare('SELECT * FROM techniques ORDER BY domain, id'),
      tactics: db.prepare('SELECT * FROM tactics ORDER BY domain, ord'),
      // Covered by the mappings primary key: no resource columns, those come from resourceCache.
      mapped: db.prepare('SELECT resource, raw_id, via_revoked, relation, note, attack_version FROM mappings WHERE technique = ?').raw(),
      // One statement for all of a page's uncached resources: a point query each cost three times as much.
      resourcesByIds: db.prepare(`SELECT ${RESOURCE_COLUMNS} FROM resources WHERE id IN (SELECT value FROM json_each(?))`).raw(),
      // Both covered by the mappings primary key (technique, resource).
      resourceIds: db.prepare('SELECT resource FROM mappings WHERE technique = ?').pluck(),
      resourceIdsBetween: db.prepare('SELECT resource FROM mappings WHERE technique > ? AND technique < ?').pluck(),
      warnings: db.prepare('SELECT source, file, reason FROM warnings ORDER BY source, file, reason'),
      unknownIds: db.prepare('SELECT technique, COUNT(*) AS n FROM unknown_ids WHERE source = ? GROUP BY technique ORDER BY technique'),
    };
  }

  static open(path: string): KnowledgeBase {
    if (!existsSync(path)) throw new KbError(`no knowledge base at ${path}: run \`purplebook build\` first`);
    return new KnowledgeBase(path);
  }

  close(): void {
    this.db.close();
  }

  meta(key: string): string | undefined {
    if (!this.metaCache) {
      const rows = this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
      this.metaCache = new Map(rows.map((r) => [r.key, r.value]));
    }
    return this.metaCache.get(key);
  }

  get attackVersion(): string {
    return this.meta('attack_version') ?? 'unknown';
  }

  technique(id: string): TechniqueRow | undefined {
    let t = this.techniqueCache.get(id);
    if (t === undefined) {
      const r = this.stmts.technique.get(id) as Row | undefined;
      t = r ? techniqueFromRow(r) : null;
      // Unknown ids are not remembered: callers pass user input, which must not grow the cache.
      if (t) this.techniqueCache.set(id, t);
    }
    return t ?? undefined;
  }

  subtechniques(parent: string): TechniqueRow[] {
    return (this.stmts.children.all(parent) as string[]).map((id) => this.technique(id)!);
  }

  techniques(): TechniqueRow[] {
    return (this.stmts.allTechniques.all() as Row[]).map((r) => {
      const cached = this.techniqueCache.get(r.id as string);
      if (cached) return cached;
      const t = techniqueFromRow(r);
      this.techniqueCache.set(t.id, t);
      return t;
    });
  }

  tactics(): TacticRow[] {
    return this.tacticCache ??= (this.stmts.tactics.all() as Row[]).map((r) => ({
      domain: r.domain as Domain, shortname: r.shortname as string, id: r.id as string, name: r.name as string,
      order: r.ord as number, url: r.url as string,
    }));
  }

  sources(): SourceRow[] {
    this.sourceCache ??= (this.db.prepare('SELECT * FROM sources').all() as Row[])
      .map((r) => ({
        name: r.name as string, title: r.title as string, pillar: r.pillar as Pillar, order: r.ord as number, homepage: r.homepage as string,
        folder: r.folder as string, repository: (r.repository as string) ?? null, branch: (r.branch as string) ?? null,
        commit: (r.commit_id as string) ?? null, commitDate: (r.commit_date as string) ?? null, accessed: (r.accessed as string) ?? null,
        accessedFrom: r.accessed_from as string, version: (r.version as string) ?? null, license: (r.license as string) ?? null,
        resourceKind: (r.resource_kind as string) ?? null, mapsVia: (r.maps_via as string) ?? null,
        techniquePage: (r.technique_page as string) ?? null, summaryFields: json(r.summary_fields, []), loaded: r.loaded === 1,
        attackVersions: json(r.attack_versions, []), resources: r.resources as number, mappings: r.mappings as number,
        techniques: r.techniques as number, deprecated: r.deprecated as number, unknownIds: r.unknown_ids as number,
        warnings: r.warnings as number, records: r.records as number,
        detectionKind: (r.detection_kind as SourceRow['detectionKind']) ?? null, detectionKindWhy: (r.detection_kind_why as string) ?? null,
        guidance: r.guidance as number,
      }))
      .sort((a, b) => ['policy', 'detection', 'test'].indexOf(a.pillar) - ['policy', 'detection', 'test'].indexOf(b.pillar)
        || a.order - b.order || a.name.localeCompare(b.name));
    return this.sourceCache;
  }

  /** Resources mapped directly to this technique, deprecated ones included (callers filter). */
  mapped(techniqueId: string): MappedResource[] {
    const rows = this.stmts.mapped.all(techniqueId) as unknown[][];
    const resources = this.resources(rows.map((m) => m[0] as number));
    return rows.map((m, i) => {
      const r = resources[i]!;
      // Spelled out, not spread: spreading was the slowest line of page generation.
      return {
        rowid: r.rowid, source: r.source, key: r.key, upstreamId: r.upstreamId, title: r.title, url: r.url, breadcrumb: r.breadcrumb,
        description: r.description, deprecated: r.deprecated, file: r.file, meta: r.meta, kind: r.kind, facets: r.facets, logic: r.logic, technique: techniqueId, rawId: m[1] as string,
        viaRevoked: (m[2] as string) ?? null, relation: (m[3] as string) ?? null, note: (m[4] as string) ?? null,
        attackVersion: (m[5] as string) ?? null,
      };
    });
  }

  /** Cached resources by id, reading the uncached ones in one statement. */
  private resources(ids: number[]): ResourcePart[] {
    const missing = ids.filter((id) => !this.resourceCache.has(id));
    if (missing.length) {
      for (const raw of this.stmts.resourcesByIds.all(JSON.stringify(missing)) as unknown[][]) {
        this.resourceCache.set(raw[0] as number, resourcePartFromRaw(raw));
      }
    }
    // mappings.resource references resources.id: build writes both in one transaction.
    return ids.map((id) => this.resourceCache.get(id)!);
  }

  /** Per source: resources mapped to a sub-technique of `parent` and not to `parent` itself. */
  viaSubtechniques(parent: string, includeDeprecated: boolean): Map<string, number> {
    // Counted here rather than in one SQL statement: its GROUP BY and COUNT(DISTINCT) temp b-trees cost
    // more than the rest of the page. The resources read are the sub-techniques' own, cached for their pages.
    // Sub-technique ids sort between `T1234.` and `T1234/`.
    const direct = new Set(this.stmts.resourceIds.all(parent) as number[]);
    const viaSub = new Set((this.stmts.resourceIdsBetween.all(`${parent}.`, `${parent}/`) as number[]).filter((id) => !direct.has(id)));
    const counts = new Map<string, number>();
    for (const r of this.resources([...viaSub])) {
      if (!r.deprecated || includeDeprecated) counts.set(r.source, (counts.get(r.source) ?? 0) + 1);
    }
    return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Sources whose authors assessed the technique as not mappable, with their note. */
  assessments(techniqueId: string): Map<string, string | null> {
    if (!this.assessmentCache) {
      // A few hundred rows, keyed (source, technique): one read beats a full scan per technique.
      this.assessmentCache = new Map();
      const rows = this.db.prepare('SELECT technique, source, note FROM assessments ORDER BY technique, source').all() as { technique: string; source: string; note: string | null }[];
      for (const r of rows) {
        let m = this.assessmentCache.get(r.technique);
        if (!m) this.assessmentCache.set(r.technique, (m = new Map<string, string | null>()));
        m.set(r.source, r.note);
      }
    }
    return new Map(this.assessmentCache.get(techniqueId));
  }

  actors(): ActorRow[] {
    return (this.db.prepare('SELECT * FROM actors ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id as string, stixId: r.stix_id as string, kind: r.kind as ActorRow['kind'], name: r.name as string,
      aliases: json(r.aliases, []), url: r.url as string, status: r.status as Status, revokedBy: json(r.revoked_by, []),
      domains: json(r.domains, []),
    }));
  }

  /** Techniques an actor `uses`, as ATT&CK states them. */
  actorTechniques(actorId: string): string[] {
    return this.db.prepare('SELECT technique FROM actor_uses WHERE actor = ? ORDER BY technique').pluck().all(actorId) as string[];
  }

  profiles(): ThreatProfile[] {
    return (this.db.prepare('SELECT * FROM actor_profiles ORDER BY name').all() as Row[]).map((r) => ({
      stixId: r.stix_id as string, name: r.name as string, aliases: json(r.aliases, []), actor: (r.actor as string) ?? null,
      originCountry: (r.origin_country as string) ?? null, motivation: json(r.motivation, []),
      victimIndustries: json(r.victim_industries, []), victimCountries: json(r.victim_countries, []), url: (r.url as string) ?? null,
      techniques: json(r.techniques, []),
    }));
  }

  warnings(): { source: string; file: string; reason: string }[] {
    return this.stmts.warnings.all() as { source: string; file: string; reason: string }[];
  }

  unknownIds(source: string): { technique: string; n: number }[] {
    return this.stmts.unknownIds.all(source) as { technique: string; n: number }[];
  }
}
