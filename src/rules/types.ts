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
  title: string;
  /** True when the rule marks itself deprecated/disabled (Sigma status deprecated, ESCU deprecated, Elastic maturity deprecated). */
  deprecated?: boolean;
  /** Raw ATT&CK ids as written (`T1059.001`, `attack.t1059.001` already stripped of its prefix). Empty: unmapped. */
  techniqueIds: string[];
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

export interface OwnRuleSet {
  rules: OwnRule[];
  warnings: RuleWarning[];
  /** Files looked at (including ones that were not rules). */
  files: number;
}
