/** The knowledge-base schema every pillar shares. Bump SCHEMA_VERSION when it changes. */
export const SCHEMA_VERSION = 4;

export const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE sources (
  name TEXT PRIMARY KEY, title TEXT NOT NULL, pillar TEXT NOT NULL, ord INTEGER NOT NULL,
  homepage TEXT NOT NULL, folder TEXT NOT NULL, repository TEXT, branch TEXT, commit_id TEXT, commit_date TEXT,
  accessed TEXT, accessed_from TEXT NOT NULL, version TEXT, license TEXT, resource_kind TEXT, maps_via TEXT,
  technique_page TEXT, summary_fields TEXT NOT NULL DEFAULT '[]', loaded INTEGER NOT NULL,
  attack_versions TEXT NOT NULL DEFAULT '[]',
  resources INTEGER NOT NULL DEFAULT 0, mappings INTEGER NOT NULL DEFAULT 0, techniques INTEGER NOT NULL DEFAULT 0,
  deprecated INTEGER NOT NULL DEFAULT 0, unknown_ids INTEGER NOT NULL DEFAULT 0, warnings INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0, note TEXT,
  -- Detection sources: 'rule', 'guidance' or 'per record', why (for the catalog), and mapped guidance resources.
  detection_kind TEXT, detection_kind_why TEXT, guidance INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tactics (
  domain TEXT NOT NULL, shortname TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, ord INTEGER NOT NULL, url TEXT NOT NULL,
  PRIMARY KEY (domain, shortname)
);

CREATE TABLE techniques (
  id TEXT PRIMARY KEY, stix_id TEXT NOT NULL, domain TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
  url TEXT NOT NULL, status TEXT NOT NULL, revoked_by TEXT NOT NULL, is_sub INTEGER NOT NULL, parent TEXT,
  tactics TEXT NOT NULL, platforms TEXT NOT NULL, version TEXT, modified TEXT
);

CREATE TABLE resources (
  id INTEGER PRIMARY KEY, source TEXT NOT NULL, key TEXT NOT NULL, upstream_id TEXT, title TEXT NOT NULL, url TEXT,
  breadcrumb TEXT, description TEXT, deprecated INTEGER NOT NULL, file TEXT, meta TEXT,
  -- Detection resources: 'rule' (executable) or 'guidance'; NULL for controls and tests.
  kind TEXT,
  -- Typed facts analyses read (JSON of ResourceFacets: platforms, executors, elevation, logSources).
  facets TEXT,
  -- Detection rules: the logic as text, JSON {language, text}; shown, never run.
  logic TEXT
);

-- One row per (resource, technique) pair: the plain count the pages use.
CREATE TABLE mappings (
  resource INTEGER NOT NULL, technique TEXT NOT NULL, raw_id TEXT NOT NULL, via_revoked TEXT, relation TEXT, note TEXT,
  attack_version TEXT, PRIMARY KEY (technique, resource)
) WITHOUT ROWID;

-- A framework's authors assessed the technique and found nothing to map (CTID non_mappable).
CREATE TABLE assessments (source TEXT NOT NULL, technique TEXT NOT NULL, note TEXT, PRIMARY KEY (source, technique)) WITHOUT ROWID;

CREATE TABLE unknown_ids (source TEXT NOT NULL, technique TEXT NOT NULL, resource INTEGER NOT NULL);
CREATE TABLE warnings (source TEXT NOT NULL, file TEXT NOT NULL, reason TEXT NOT NULL);

CREATE TABLE actors (
  id TEXT PRIMARY KEY, stix_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, aliases TEXT NOT NULL, url TEXT NOT NULL,
  status TEXT NOT NULL, revoked_by TEXT NOT NULL, domains TEXT NOT NULL
);
-- Threat profiles (motivation, victims, origin) from Categorized Adversary TTPs, joined to ATT&CK groups.
CREATE TABLE actor_profiles (
  stix_id TEXT NOT NULL, name TEXT NOT NULL, aliases TEXT NOT NULL, actor TEXT, origin_country TEXT, motivation TEXT NOT NULL,
  victim_industries TEXT NOT NULL, victim_countries TEXT NOT NULL, url TEXT, techniques TEXT NOT NULL
);
CREATE TABLE actor_uses (actor TEXT NOT NULL, technique TEXT NOT NULL, PRIMARY KEY (actor, technique)) WITHOUT ROWID;
`;

/** Created once the rows are in: building an index from sorted rows costs less than keeping it up to date row by row. */
export const INDEXES = `
CREATE INDEX techniques_parent ON techniques(parent);
CREATE UNIQUE INDEX resources_source_key ON resources(source, key);
CREATE INDEX mappings_resource ON mappings(resource);
`;
