/**
 * The vocabulary every layer shares: the three pillars, the input limits and where data came from.
 * It sits below attack/, sources/ and kb/ so none of them has to import another for a type.
 */

export type Pillar = 'policy' | 'detection' | 'test';

export const PILLARS: readonly { pillar: Pillar; heading: string }[] = [
  { pillar: 'policy', heading: 'Policy / Process Controls' },
  { pillar: 'detection', heading: 'Technical Controls (Detection Rules)' },
  { pillar: 'test', heading: 'Offensive Security Tests' },
];

export interface Provenance {
  repository?: string;
  branch?: string;
  commit?: string;
  commitDate?: string;
  /** YYYY-MM-DD */
  accessed?: string;
  /** Where `accessed` came from: the manifest, or file modification times. */
  accessedFrom: 'manifest' | 'file-dates' | 'unknown';
  version?: string;
}

export interface Limits {
  /** Files larger than this are skipped with a warning. */
  maxFileBytes: number;
  /**
   * The same for the ATT&CK STIX bundles, which are one file per domain and legitimately large
   * (enterprise-attack.json is 33 MB in ATT&CK 18.1 and grows with every release).
   */
  maxBundleBytes: number;
  /** YAML alias expansions allowed per document ("billion laughs" guard). */
  maxYamlAliases: number;
  /** Deepest nesting accepted in parsed documents. */
  maxDepth: number;
  /** Technique references kept per resource; the rest is a warning. */
  maxTechniquesPerResource: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 20 * 1024 * 1024,
  maxBundleBytes: 200 * 1024 * 1024,
  maxYamlAliases: 100,
  maxDepth: 64,
  maxTechniquesPerResource: 1000,
};
