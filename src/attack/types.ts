/** The loaded ATT&CK, as every other module sees it. Built once by `loadAttack`, read-only afterwards. */

export type Domain = 'enterprise-attack' | 'mobile-attack' | 'ics-attack';
export const DOMAINS: readonly Domain[] = ['enterprise-attack', 'mobile-attack', 'ics-attack'];

export type Status = 'active' | 'deprecated' | 'revoked';

export interface Tactic {
  id: string; // TA0008
  shortname: string; // lateral-movement
  name: string; // Lateral Movement
  domain: Domain;
  /** Position in the domain's matrix (first matrix wins when a domain has several). */
  order: number;
  url: string;
}

export interface Technique {
  id: string; // T1021.004
  stixId: string;
  domain: Domain;
  name: string;
  description: string;
  url: string;
  /** Tactic shortnames in matrix order. */
  tactics: string[];
  platforms: string[];
  status: Status;
  /** ATT&CK ids of the objects this one was revoked by (usually one). */
  revokedBy: string[];
  isSubtechnique: boolean;
  parent?: string;
  version?: string;
  modified?: string;
  dataSources: string[];
}

export interface Mitigation {
  id: string; // M1042
  stixId: string;
  domain: Domain;
  name: string;
  url: string;
  description: string;
  deprecated: boolean;
}

/** A `mitigates` relationship: mitigation → technique, with the relationship's own text. */
export interface MitigationUse {
  mitigation: string; // M1042
  technique: string; // T1021.004
  description: string;
}

export interface Analytic {
  id: string; // AN0110
  name: string;
  url: string;
  platforms: string[];
  description: string;
  /** The same references as ATT&CK states them (`WinEventLog:Security`, `EventCode=4688`). */
  logSourceRefs: { name: string; channel?: string }[];
  /** The data components those log sources belong to (`DC0032 Process Creation`), each once. */
  dataComponents: DataComponent[];
}

/** An ATT&CK data component: a kind of telemetry (`DC0032`, Process Creation). */
export interface DataComponent {
  id: string;
  name: string;
  url: string;
}

export interface DetectionStrategy {
  id: string; // DET0103
  stixId: string;
  domain: Domain;
  name: string;
  url: string;
  deprecated: boolean;
  revoked: boolean;
  analytics: Analytic[];
  /** ATT&CK ids of techniques it `detects`. */
  techniques: string[];
}

export type ActorKind = 'group' | 'software' | 'campaign';

export interface Actor {
  id: string; // G0016, S0154, C0024
  stixId: string;
  kind: ActorKind;
  domains: Domain[];
  name: string;
  aliases: string[];
  url: string;
  status: Status;
  /** ATT&CK ids of the actors that replace a revoked one (UNC2452 → APT29). */
  revokedBy: string[];
  /** Technique ids this actor `uses` (direct, as ATT&CK states them). */
  techniques: string[];
}

export interface DomainInfo {
  domain: Domain;
  file: string;
  /** Matrix names in bundle order. */
  matrices: string[];
  spec: string;
}

export interface AttackIndex {
  /** ATT&CK release, from x-mitre-collection, else MANIFEST.json, else "unknown". */
  version: string;
  versionSource: 'collection' | 'manifest' | 'unknown';
  domains: DomainInfo[];
  /** Every attack-pattern with an ATT&CK id, including revoked and deprecated ones. */
  techniques: Map<string, Technique>;
  tactics: Tactic[];
  mitigations: Map<string, Mitigation>;
  mitigationUses: MitigationUse[];
  detectionStrategies: DetectionStrategy[];
  actors: Actor[];
}

/** A problem with an ATT&CK file or object: loading carries on without it. */
export interface AttackWarning {
  file: string;
  reason: string;
}
