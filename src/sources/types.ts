/**
 * The connector contract. A connector turns one upstream's files into normalized resource
 * records; it never imports another connector and never touches the knowledge base.
 * Technique ids are passed on as written upstream (minus format wrapping such as
 * `attack.` prefixes); normalization, revocation and unknown ids are handled in ONE place:
 * `src/resolve.ts`, called by the knowledge-base builder.
 */
import type { AttackIndex } from '../attack/types.js';
import type { Limits, Pillar, Provenance } from '../core/types.js';

// The shared vocabulary lives in core/ (ATT&CK and the knowledge base use it too); connectors keep importing it from here.
export { DEFAULT_LIMITS, PILLARS, type Limits, type Pillar, type Provenance } from '../core/types.js';

/**
 * What a detection resource is: an executable `rule` (logic a SIEM or EDR runs: a Sigma rule, an
 * Elastic or Splunk search, a KQL or EQL query) or `guidance` (what to look for, without logic to
 * run: ATT&CK detection strategies, hunt write-ups, pseudocode). Only rules count as detections.
 */
export type DetectionKind = 'rule' | 'guidance';

/** How a detection source's resources are classed, for the build and the source catalog. */
export interface DetectionKindRule {
  /** The kind of a record that does not set its own. */
  kind: DetectionKind;
  /** True when records decide their kind from their own upstream data (`ResourceRecord.kind`). */
  perRecord?: boolean;
  /** One sentence for the catalog: why the resources are this kind, naming the upstream field. */
  why: string;
}

export interface Upstream {
  /** GitHub owner/name, or a descriptive origin for non-GitHub upstreams. */
  repo: string;
  /** Branch used when nothing is pinned. */
  defaultRef: string;
  /** Repository paths (globs allowed) this source needs; `sync` extracts only these. */
  paths: string[];
}

export interface SourceInfo {
  /** Short lowercase id used everywhere: `sigma`, `ctid-nist-800-53-rev5`. */
  name: string;
  /** Title of the page block: `### [title](homepage)`. */
  title: string;
  pillar: Pillar;
  /** Position of the block inside its pillar (ascending). */
  order: number;
  homepage: string;
  /** Folder under the data dir that holds this source's files (several sources may share one). */
  folder: string;
  upstream: Upstream | null;
  license: string;
  /** What one resource is, for the catalog: "Sigma rule (one YAML file)". */
  resourceKind: string;
  /** How resources map to ATT&CK, for the catalog: "`tags: attack.tNNNN`". */
  mapsVia: string;
  /**
   * Optional link template to the upstream's own per-technique view, shown above the list:
   * `{id}` becomes `T1021.004`, `{idPath}` becomes `T1021/004`, `{domain}` the technique's domain (`enterprise`, `mobile`, `ics`).
   */
  techniquePage?: string;
  /**
   * Item fields worth a place on the one-line markdown item: keys of `meta`, or `id`, `relation`;
   * `note` puts the per-pair note on an indented line below the item.
   */
  summaryFields?: string[];
  /** Detection sources only: executable rules or guidance (see DetectionKind). */
  detectionKind?: DetectionKindRule;
}

/**
 * Whose naming a log-source reference uses. `sigma`: a Sigma `logsource` (product, category,
 * service); `elastic-index`: an index pattern (`logs-endpoint.events.process-*`);
 * `elastic-integration`: a related integration package (`endpoint`, `aws`); `splunk`: an ESCU
 * `data_source` name (`Sysmon EventID 1`); `sentinel`: a Log Analytics table (`SecurityEvent`);
 * `car`: a CAR data-model object/action (`process/create`); `atc`: an Atomic Threat Coverage
 * "data needed" name; `attack`: an ATT&CK analytic's log-source reference (`name` such as
 * `WinEventLog:Security`, `channel` such as `EventCode=4688`); `splunk-macro`: a Splunk search
 * macro that names a log source (`sysmon`); `eql`: an EQL event category (`process`) with the
 * analytic's OS as `product`; `gcp`: a Google Cloud log (`Audit Logs - Admin Activity`).
 */
export type LogSourceScheme =
  | 'sigma' | 'elastic-index' | 'elastic-integration' | 'splunk' | 'splunk-macro' | 'sentinel' | 'car' | 'atc' | 'attack' | 'eql' | 'gcp';

/** One piece of telemetry a detection reads, as its upstream names it (never guessed). */
export interface LogSourceRef {
  scheme: LogSourceScheme;
  /** Sigma's triple; the other schemes use `name`. */
  product?: string;
  category?: string;
  service?: string;
  /** The upstream's name for it: index pattern, integration, data_source, table, data-model ref, data component. */
  name?: string;
  /** Finer detail where the upstream gives it: an ATT&CK channel (`EventCode=4688`), a CAR field set. */
  channel?: string;
}

/**
 * Typed facts about a resource that analyses read (coverage, plan, telemetry), next to the
 * free-form `meta` that pages show. Absent means the upstream does not say; for `logSources` an
 * empty list on a detection means it names no telemetry (counted as "unknown").
 */
export interface ResourceFacets {
  /** ATT&CK-style platform names the resource applies to, lowercase (`windows`, `linux`, `macos`, `aws`). */
  platforms?: string[];
  /** How a test runs: `powershell`, `command_prompt`, `sh`, `bash`, `manual`, … (lowercase). */
  executors?: string[];
  /** A test needs administrator/root rights. */
  elevation?: boolean;
  logSources?: LogSourceRef[];
}

/** The logic of an executable rule, shown as text (never run): a Sigma detection block, a query. */
export interface RuleLogic {
  /** `sigma`, `eql`, `esql`, `kuery`, `lucene`, `spl`, `kql`, `pseudocode`, … */
  language: string;
  text: string;
}

/** One technique reference as the upstream states it. */
export interface TechniqueRef {
  /** Raw id, e.g. "T1059.001", " t1059.001", "T1485.A002". Resolved by `resolve.ts`. */
  id: string;
  /** How the upstream relates resource and technique: mitigates, protects, detects, non_mappable, … */
  relation?: string;
  /** Text that belongs to this (resource, technique) pair, e.g. a mitigation's "how it applies". */
  note?: string;
  /** ATT&CK version the upstream made this mapping for, when it says so. */
  attackVersion?: string;
}

/** One control, rule or test. */
export interface ResourceRecord {
  /** Unique within the source and stable across runs: relative file path, or `path#n`. */
  key: string;
  /** The upstream's own id (rule uuid, test guid, D3-NTCD, M1042, …), if any. */
  upstreamId?: string;
  title: string;
  url?: string;
  /** Folder breadcrumb shown before the title (`windows / process_creation`). */
  breadcrumb?: string[];
  description?: string;
  deprecated?: boolean;
  /** Path relative to the data dir of the file this came from (for link checks and warnings). */
  file?: string;
  /** Source-specific fields (status, level, logsource, platforms, executors …); JSON-serializable. */
  meta?: Record<string, unknown>;
  /** Detection records of a `perRecord` source: the kind this record's upstream data gives it. */
  kind?: DetectionKind;
  facets?: ResourceFacets;
  /** Detection records: the rule's logic as text, capped by the connector. */
  logic?: RuleLogic;
  techniques: TechniqueRef[];
}

export interface LoadContext {
  /** Root data folder (the layout of ../shared/data). */
  dataDir: string;
  /** Absolute path of this source's folder. */
  dir: string;
  provenance: Provenance;
  /** The loaded ATT&CK, for sources derived from it (mitigations, detection strategies). */
  attack: AttackIndex;
  limits: Limits;
  /** Record a problem with one file; the connector then carries on with the next. */
  warn: (file: string, reason: string) => void;
  /**
   * A per-file reader's fact about its file for `finish` (plain, cloneable data): cached with the
   * file's records, so `finish` needs no file read again.
   */
  note?: (value: unknown) => void;
}

/**
 * A connector whose records come file by file: what `read` gives for a file (records and
 * warnings) depends on that file's bytes, the provenance and the limits only, never on ATT&CK
 * (`ctx.attack` throws here) or on another file. The build can then keep it per file in the parse
 * cache and run `read` in worker threads.
 */
export interface PerFileReader {
  /** The files to read, relative to the data dir, in load order. */
  files: (ctx: LoadContext) => string[];
  /** One file's records; its problems go to `ctx.warn`. */
  read: (ctx: LoadContext, file: string) => Iterable<ResourceRecord>;
  /**
   * Work that needs several files, done in the main thread after every file is read, on the
   * records and the notes in load order (Splunk links detections to their story pages). It may
   * replace a record's fields but must not change objects inside them: those are the cache's.
   */
  finish?: (ctx: LoadContext, records: ResourceRecord[], notes: unknown[]) => void;
}

/**
 * How a kit connector's files are parsed (lib/file-source.ts). `yaml-documents`: every document
 * of a multi-document YAML file; `text`: the file as a string, parsed by the connector.
 */
export type DocumentFormat = 'yaml' | 'yaml-documents' | 'json' | 'ndjson' | 'toml' | 'text';

/** What a kit connector declares about its files: tests sample and damage files from it. */
export interface FileDeclaration {
  format: DocumentFormat;
  /** Files picked from a walk of the folder (path relative to the folder, `/` separators). */
  match?: (path: string, name: string) => boolean;
  /** Or files named outright, relative to the folder. */
  files?: readonly string[];
  /**
   * The records of one parsed file (`doc`, parsed from `text` in `format`), as the reader makes
   * them: the robustness tests trace which fields of a real document it reads.
   */
  records: (ctx: LoadContext, file: string, text: string, doc: unknown) => Iterable<ResourceRecord>;
}

interface SourceBase extends SourceInfo {
  /** Set by `defineFileSource`: which files the connector reads and in which format. */
  reads?: FileDeclaration;
  /** True when this source's files are present under dataDir (default: its folder exists). */
  present?: (dataDir: string) => boolean;
  /**
   * The connector reads `ctx.attack`: it runs in the main thread once ATT&CK is loaded, and its
   * cached records are only reused for the same ATT&CK files. Without it `ctx.attack` throws.
   */
  usesAttack?: boolean;
}

/** A connector reads its folder either as a whole (`load`) or file by file (`perFile`). */
export type Source = SourceBase & (
  | { load: (ctx: LoadContext) => Iterable<ResourceRecord> | AsyncIterable<ResourceRecord>; perFile?: never }
  | { perFile: PerFileReader; load?: never }
);
