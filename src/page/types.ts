/** The technique page: the JSON of `show --format json`, and what every view renders. */
import type { Domain, Status } from '../attack/types.js';
import type { Pillar } from '../core/types.js';
import type { ResourceFacets, RuleLogic } from '../sources/types.js';

export type ValidationClass = 'testable and detectable' | 'detectable, no public test' | 'testable, no public detection' | 'neither';

export interface PageItem {
  id: string | null;
  name: string;
  url: string | null;
  breadcrumb?: string[];
  description?: string;
  /** Set when the upstream named a revoked id that ATT&CK replaced by this technique. */
  via?: { revoked: string };
  relation?: string;
  note?: string;
  attackVersion?: string;
  deprecated?: boolean;
  /** Detection items: an executable rule, or guidance (shown, not counted as a detection). */
  kind?: 'rule' | 'guidance';
  /** Source-specific fields (status, level, platforms, executors …). */
  meta?: Record<string, unknown>;
  /** Typed facts: platforms, executors, elevation, log sources. */
  facets?: ResourceFacets;
  /** Detection rules: the rule's logic as text (shown escaped, never run). */
  logic?: RuleLogic;
}

export interface PageSource {
  source: string;
  title: string;
  url: string;
  accessed: string | null;
  accessedFrom: string;
  commit: string | null;
  /** Distinct ATT&CK-mapped resources of this source, all techniques. */
  total: number;
  /** Resources mapped directly to this technique. */
  count: number;
  /** How many of `count` are guidance, not executable rules (detection sources only; 0 otherwise). */
  guidance: number;
  /** Resources mapped only to sub-techniques of this technique (parents only). */
  viaSubtechniques: number;
  /** The framework's authors assessed this technique and mapped nothing (CTID non_mappable). */
  assessedNotMappable: boolean;
  /** ATT&CK versions the source's mappings were made for, when it says. */
  attackVersions: string[];
  techniquePage: string | null;
  summaryFields: string[];
  items: PageItem[];
}

export interface PageSection {
  pillar: Pillar;
  title: string;
  sources: PageSource[];
}

/** Volumes and class by the one definition in validation.ts (detections = executable rules). */
export interface PageSummary {
  policy_volume: number;
  detection_volume: number;
  /** Detection resources that are guidance: shown, not counted in detection_volume or the class. */
  guidance_volume: number;
  test_volume: number;
  validation: ValidationClass;
}

export interface TechniqueLink {
  id: string;
  name: string;
  status: Status;
}

export interface Page {
  id: string;
  name: string;
  domain: Domain;
  tactics: string[];
  platforms: string[];
  url: string;
  description: string;
  status: Status;
  replacedBy: TechniqueLink[];
  parent: TechniqueLink | null;
  subtechniques: TechniqueLink[];
  attackVersion: string;
  /** Set when the page was built for a control stack: only its sources are listed and counted. */
  stack?: { name: string | null; sources: string[] };
  summary: PageSummary;
  sections: PageSection[];
}
