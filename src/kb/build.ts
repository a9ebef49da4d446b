/**
 * Builds the knowledge base: ATT&CK, then every present source, into a temporary SQLite file
 * that is renamed over the target only when complete, so a crash never leaves a half-written KB.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadThreatProfiles, type ThreatProfile } from '../threats/profiles.js';
import type { AttackIndex } from '../attack/types.js';
import { resolveTechniqueId, type Resolution } from '../resolve.js';
import type { SourceWarning } from '../sources/collect.js';
import { ALL_SOURCES } from '../sources/registry.js';
import { DEFAULT_LIMITS, type Limits } from '../core/types.js';
import type { DetectionKind, ResourceFacets, ResourceRecord, Source } from '../sources/types.js';
import { createProgress, type Progress } from '../util/progress.js';
import type { SourceCounts } from './open.js';
import { parseCachePath } from './parse-cache.js';
import { provenanceFor, readManifest } from './provenance.js';
import { defaultJobs, readSources, type CacheReport } from './read-sources.js';
import { INDEXES, SCHEMA, SCHEMA_VERSION } from './schema.js';

export interface BuildOptions {
  dataDir: string;
  dbPath: string;
  sources?: readonly Source[];
  limits?: Partial<Limits>;
  quiet?: boolean;
  progress?: Progress;
  /** Test hook: called after the temp file is written and before the rename. */
  beforeRename?: (tempPath: string) => void;
  /** Read every file afresh, ignoring the parse cache (which is then written anew). */
  full?: boolean;
  /** Keep no parse cache beside the knowledge base (default: kept, see parse-cache.ts). */
  cache?: boolean;
  /** Worker threads reading the sources (default: the CPU count; 1 reads in this thread). */
  jobs?: number;
  /** Test hook: called with the parse cache's temporary file before it is renamed into place. */
  beforeCacheRename?: (tempPath: string) => void;
}

export interface SourceSummary extends SourceCounts {
  name: string;
  title: string;
  pillar: string;
  loaded: boolean;
}

export interface BuildSummary {
  dbPath: string;
  dataDir: string;
  attackVersion: string;
  techniques: number;
  sources: SourceSummary[];
  warnings: number;
  skipped: string[];
  seconds: number;
  /** What the parse cache saved this build, and any reason it was not used. */
  cache: CacheReport;
  /** Worker threads that read sources (0: all in the main thread). */
  workers: number;
  /** Wall seconds spent reading (parsing, the cache) and writing the SQLite file. */
  phases: { read: number; write: number };
}

/** A mappings row: resource, technique, raw_id, via_revoked, relation, note, attack_version. */
type MappingRow = [number, string, string, string | null, string | null, string | null, string | null];

interface PendingSource {
  source: Source;
  loaded: boolean;
  records: ResourceRecord[];
  warnings: SourceWarning[];
}

export async function buildKnowledgeBase(opts: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const progress = opts.progress ?? createProgress({ quiet: opts.quiet });
  const sources = opts.sources ?? ALL_SOURCES;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const attackWarnings: SourceWarning[] = [];

  const manifest = readManifest(opts.dataDir, (reason) => attackWarnings.push({ source: 'manifest', file: 'MANIFEST.json', reason }));
  const read = await readSources({
    dataDir: opts.dataDir, sources, limits, manifest, progress, full: opts.full, jobs: opts.jobs ?? defaultJobs(),
    cachePath: opts.cache === false ? undefined : parseCachePath(opts.dbPath), beforeCacheRename: opts.beforeCacheRename,
  });
  const { attack } = read;
  for (const w of read.attackWarnings) attackWarnings.push({ source: 'attack', ...w });
  if (!attack.domains.length) attackWarnings.push({ source: 'attack', file: 'attack/', reason: 'no ATT&CK bundle could be loaded: every mapping will be unknown' });

  const profiles = loadThreatProfiles(opts.dataDir, attack, (file, reason) => attackWarnings.push({ source: 'adversaries', file, reason }));

  const pending: PendingSource[] = read.sources;
  const { skipped } = read;
  progress.update('Writing knowledge base');
  const writing = performance.now();

  mkdirSync(dirname(opts.dbPath), { recursive: true });
  const tempPath = `${opts.dbPath}.tmp-${process.pid}-${Date.now()}`;
  let summary: BuildSummary;
  try {
    const db = new Database(tempPath);
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec(SCHEMA);
    const sourceSummaries = db.transaction(() => writeAll(db, attack, profiles, pending, attackWarnings, manifest, opts.dataDir, limits))();
    db.close();
    summary = {
      dbPath: opts.dbPath, dataDir: opts.dataDir, attackVersion: attack.version,
      techniques: [...attack.techniques.values()].filter((t) => t.status === 'active').length,
      sources: sourceSummaries, warnings: attackWarnings.length + sourceSummaries.reduce((n, s) => n + s.warnings, 0),
      skipped, seconds: 0, cache: read.cache, workers: read.workers,
      phases: { read: (writing - started) / 1000, write: (performance.now() - writing) / 1000 },
    };
    opts.beforeRename?.(tempPath);
    renameSync(tempPath, opts.dbPath);
  } catch (e) {
    if (existsSync(tempPath)) rmSync(tempPath, { force: true });
    throw e;
  } finally {
    progress.done();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function writeAll(
  db: Database.Database, attack: AttackIndex, profiles: ThreatProfile[], pending: PendingSource[], attackWarnings: SourceWarning[],
  manifest: ReturnType<typeof readManifest>, dataDir: string, limits: Limits,
): SourceSummary[] {
  const attackProv = provenanceFor(manifest, dataDir, 'attack');
  const meta = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
  meta.run('schema_version', String(SCHEMA_VERSION));
  meta.run('attack_version', attack.version);
  meta.run('attack_version_source', attack.versionSource);
  meta.run('attack_accessed', attackProv.accessed ?? '');
  meta.run('attack_commit', attackProv.commit ?? '');
  meta.run('attack_repository', attackProv.repository ?? '');
  meta.run('attack_domains', JSON.stringify(attack.domains));
  meta.run('built_at', new Date().toISOString());
  meta.run('data_dir', dataDir);

  const insTactic = db.prepare('INSERT INTO tactics VALUES (?, ?, ?, ?, ?, ?)');
  for (const t of attack.tactics) insTactic.run(t.domain, t.shortname, t.id, t.name, t.order, t.url);
  const insTech = db.prepare('INSERT INTO techniques VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (const t of attack.techniques.values()) {
    insTech.run(t.id, t.stixId, t.domain, t.name, t.description, t.url, t.status, JSON.stringify(t.revokedBy),
      t.isSubtechnique ? 1 : 0, t.parent ?? null, JSON.stringify(t.tactics), JSON.stringify(t.platforms), t.version ?? null, t.modified ?? null);
  }
  const insActor = db.prepare('INSERT OR IGNORE INTO actors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insUse = db.prepare('INSERT OR IGNORE INTO actor_uses VALUES (?, ?)');
  for (const a of attack.actors) {
    insActor.run(a.id, a.stixId, a.kind, a.name, JSON.stringify(a.aliases), a.url, a.status, JSON.stringify(a.revokedBy), JSON.stringify(a.domains));
    for (const t of a.techniques) insUse.run(a.id, t);
  }

  const insProfile = db.prepare('INSERT INTO actor_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (const p of profiles) {
    insProfile.run(p.stixId, p.name, JSON.stringify(p.aliases), p.actor, p.originCountry, JSON.stringify(p.motivation),
      JSON.stringify(p.victimIndustries), JSON.stringify(p.victimCountries), p.url, JSON.stringify(p.techniques));
  }

  const insWarning = db.prepare('INSERT INTO warnings VALUES (?, ?, ?)');
  for (const w of attackWarnings) insWarning.run(w.source, w.file, w.reason);

  const summaries: SourceSummary[] = [];
  const mappings: MappingRow[] = [];
  for (const p of pending) summaries.push(writeSource(db, attack, p, manifest, dataDir, limits, insWarning, mappings));
  // In primary-key order: each row then lands at the end of the table's b-tree instead of anywhere in it.
  mappings.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] - b[0]));
  const insMap = db.prepare('INSERT INTO mappings VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const m of mappings) insMap.run(...m);
  db.exec(INDEXES);
  return summaries;
}

const resolutions = new WeakMap<AttackIndex, Map<string, Resolution>>();

/** Sources write the same few thousand ids tens of thousands of times: each is resolved once per build. */
function resolveOnce(attack: AttackIndex, raw: string): Resolution {
  let known = resolutions.get(attack);
  if (!known) resolutions.set(attack, (known = new Map<string, Resolution>()));
  let res = known.get(raw);
  if (!res) known.set(raw, (res = resolveTechniqueId(attack, raw)));
  return res;
}

/**
 * The kind of a detection record: its own (decided by the connector from the upstream data), else
 * its source's; controls and tests have none. A kind outside the two is a connector bug: reported.
 */
function detectionKindOf(source: Source, r: ResourceRecord, warn: (reason: string) => void): DetectionKind | null {
  if (source.pillar !== 'detection') return null;
  const fallback = source.detectionKind?.kind ?? 'rule';
  if (r.kind === undefined) return fallback;
  if (r.kind === 'rule' || r.kind === 'guidance') return r.kind;
  warn(`kind ${JSON.stringify(r.kind)} is neither rule nor guidance: counted as ${fallback}`);
  return fallback;
}

/** The facets a record states, as stored: NULL when it states none. */
function facetsJson(f: ResourceFacets | undefined): string | null {
  if (!f) return null;
  const kept = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
  return Object.keys(kept).length ? JSON.stringify(kept) : null;
}

function writeSource(
  db: Database.Database, attack: AttackIndex, p: PendingSource, manifest: ReturnType<typeof readManifest>, dataDir: string,
  limits: Limits, insWarning: Database.Statement, out: MappingRow[],
): SourceSummary {
  const { source } = p;
  const warnings = [...p.warnings];
  const warn = (file: string, reason: string) => warnings.push({ source: source.name, file, reason });
  const insRes = db.prepare('INSERT INTO resources (source, key, upstream_id, title, url, breadcrumb, description, deprecated, file, meta, kind, facets, logic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insAssess = db.prepare('INSERT OR IGNORE INTO assessments VALUES (?, ?, ?)');
  const insUnknown = db.prepare('INSERT INTO unknown_ids VALUES (?, ?, ?)');

  const keys = new Set<string>();
  const upstreamIds = new Map<string, string>();
  const attackVersions = new Set<string>();
  const mappedResources = new Set<number>();
  const mappedGuidance = new Set<number>();
  const techniques = new Set<string>();
  const unknown = new Set<string>();
  let mappings = 0;
  let deprecated = 0;

  for (const r of p.records) {
    const where = r.file ?? r.key;
    if (keys.has(r.key)) {
      warn(where, `duplicate resource key ${r.key}: kept the first`);
      continue;
    }
    keys.add(r.key);
    if (r.upstreamId) {
      const prev = upstreamIds.get(r.upstreamId);
      if (prev) warn(where, `shares upstream id ${r.upstreamId} with ${prev}`);
      else upstreamIds.set(r.upstreamId, where);
    }
    const assessmentOnly = r.techniques.length > 0 && r.techniques.every((t) => t.relation === 'non_mappable');
    // Repeats and the technique cap were handled once for every connector (sources/collect.ts).
    const refs = r.techniques;
    if (assessmentOnly) {
      for (const ref of refs) {
        const res = resolveOnce(attack, ref.id);
        const ids = res.kind === 'ok' ? [res.id] : res.kind === 'revoked' ? res.ids : [];
        for (const id of ids) insAssess.run(source.name, id, ref.note ?? null);
        if (ref.attackVersion) attackVersions.add(ref.attackVersion);
      }
      continue;
    }
    const kind = detectionKindOf(source, r, (reason) => warn(where, reason));
    const rowid = Number(insRes.run(source.name, r.key, r.upstreamId ?? null, r.title, r.url ?? null,
      r.breadcrumb?.length ? JSON.stringify(r.breadcrumb) : null, r.description ?? null, r.deprecated ? 1 : 0, r.file ?? null,
      r.meta && Object.keys(r.meta).length ? JSON.stringify(r.meta) : null, kind, facetsJson(r.facets), r.logic ? JSON.stringify(r.logic) : null).lastInsertRowid);
    if (r.deprecated) deprecated++;
    const mapped = new Set<string>();
    for (const ref of refs) {
      if (ref.relation === 'non_mappable') continue;
      const res = resolveOnce(attack, ref.id);
      if (res.kind === 'invalid') {
        warn(where, `"${String(ref.id).slice(0, 60)}" is not an ATT&CK technique id`);
        continue;
      }
      if (res.kind === 'unknown') {
        warn(where, `technique ${res.id} is unknown to the loaded ATT&CK ${attack.version}`);
        insUnknown.run(source.name, res.id, rowid);
        unknown.add(res.id);
        continue;
      }
      if (ref.attackVersion) attackVersions.add(ref.attackVersion);
      const ids = res.kind === 'ok' ? [res.id] : res.ids;
      for (const id of ids) {
        // The first reference to a technique wins, as the mappings primary key would have it.
        if (mapped.has(id)) continue;
        mapped.add(id);
        out.push([rowid, id, res.raw, res.kind === 'revoked' ? res.revoked : null, ref.relation ?? null, ref.note ?? null, ref.attackVersion ?? null]);
        if (!r.deprecated) {
          mappings++;
          techniques.add(id);
          mappedResources.add(rowid);
          if (kind === 'guidance') mappedGuidance.add(rowid);
        }
      }
    }
  }

  for (const w of warnings) insWarning.run(w.source, w.file, w.reason);
  const prov = provenanceFor(manifest, dataDir, source.folder);
  db.prepare(`INSERT INTO sources (name, title, pillar, ord, homepage, folder, repository, branch, commit_id, commit_date, accessed,
      accessed_from, version, license, resource_kind, maps_via, technique_page, summary_fields, loaded, attack_versions, resources,
      mappings, techniques, deprecated, unknown_ids, warnings, records, detection_kind, detection_kind_why, guidance)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    source.name, source.title, source.pillar, source.order, source.homepage, source.folder,
    prov.repository ?? source.upstream?.repo ?? null, prov.branch ?? null, prov.commit ?? null, prov.commitDate ?? null,
    prov.accessed ?? null, prov.accessedFrom, prov.version ?? null, source.license, source.resourceKind, source.mapsVia,
    source.techniquePage ?? null, JSON.stringify(source.summaryFields ?? []), p.loaded ? 1 : 0, JSON.stringify([...attackVersions].sort()),
    mappedResources.size, mappings, techniques.size, deprecated, unknown.size, warnings.length, p.records.length,
    source.pillar === 'detection' ? (source.detectionKind?.perRecord ? 'per record' : (source.detectionKind?.kind ?? 'rule')) : null,
    source.pillar === 'detection' ? (source.detectionKind?.why ?? 'no kind declared by the connector: its resources count as rules') : null,
    mappedGuidance.size,
  );
  return {
    name: source.name, title: source.title, pillar: source.pillar, loaded: p.loaded, resources: mappedResources.size, mappings,
    techniques: techniques.size, deprecated, unknownIds: unknown.size, warnings: warnings.length,
  };
}
