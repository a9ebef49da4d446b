/**
 * A team's own detection rules, read from its repository for coverage analysis. Recognised by
 * content, not by file name: Sigma YAML, Elastic TOML, Kibana saved-objects NDJSON, Splunk ESCU
 * YAML and Splunk `savedsearches.conf`. Technique ids are kept as written; the coverage step
 * resolves them against the knowledge base (one resolver for everything).
 */
export type OwnRuleFormat = 'sigma' | 'elastic-toml' | 'kibana-ndjson' | 'splunk-escu' | 'splunk-savedsearches';

export interface OwnRule {
  /** Unique in the set: the file path as read (relative to the given folder), plus `#n` for multi-rule files. */
  key: string;
  /** Path of the file, relative to the folder it was found under (or as given for single files). */
  file: string;
  format: OwnRuleFormat;
  /** The rule's own id (Sigma/ESCU uuid, Elastic rule_id, stanza name), if any. */
  id?: string;
  /** Sigma `name`: what a correlation rule may refer to instead of the id. */
  name?: string;
  title: string;
  /** True when the rule marks itself deprecated/disabled (Sigma status deprecated, ESCU deprecated, Elastic maturity deprecated). */
  deprecated?: boolean;
  /** Raw ATT&CK ids as written (`T1059.001`, `attack.t1059.001` already stripped of its prefix). Empty: unmapped. */
  techniqueIds: string[];
  /** Where the ids were found when a format has several layouts (Elastic: `[[rule.threat]]` or a top-level `[[threat]]`). */
  mappedVia?: string;
  /** Sigma correlation rules: the ids or names of the rules they correlate (`correlation.rules`). */
  correlates?: string[];
  /** A correlation rule without ATT&CK ids of its own: keys of the rules whose ids it took. */
  idsFrom?: string[];
  /** 1-based line where the rule starts, for rules that share a file (NDJSON line, `.conf` stanza header). */
  line?: number;
  /**
   * True when the rule is switched off (`disabled = 1` in a savedsearches stanza, `enabled: false` in a Kibana
   * export). Not the same as deprecated: a disabled rule still exists and is counted.
   */
  disabled?: boolean;
}

export interface RuleWarning {
  file: string;
  reason: string;
}

/** A file that yielded no rule, and why (not a rule format, empty, binary, unreadable…). */
export interface SkippedFile {
  file: string;
  /** A short category, the same for every file skipped for that reason ("empty file", "not readable as Sigma"). */
  reason: string;
  /** What exactly went wrong, when there is more to say (the reader's warning). */
  detail?: string;
}

/** One rule id carried by rules of several files. */
export interface DuplicateRuleId {
  id: string;
  files: string[];
}

export interface OwnRuleSet {
  rules: OwnRule[];
  warnings: RuleWarning[];
  /** Files looked at (including ones that were not rules): files with rules + `skipped`. */
  files: number;
  /** Files that yielded no rule, with the reason (absent from sets built before this was counted). */
  skipped?: SkippedFile[];
  /** Rule ids found in more than one file; every file's rule still counts. */
  duplicateIds?: DuplicateRuleId[];
}
