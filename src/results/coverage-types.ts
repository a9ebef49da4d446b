/**
 * What a coverage report says about results (the `results` fields of coverage/coverage.ts), apart
 * from the code that fills them in (coverage.ts here), so the report's types need no results code.
 */
import type { Outcome } from './outcomes.js';

export interface TechniqueResultSummary {
  /** Best current outcome among fresh executions (null: none, or only stale ones). */
  best: Outcome | null;
  /** A fresh execution was prevented, or alerted by an own rule. */
  validated: boolean;
  executions: number;
  /** Start of the latest execution (null when unknown). */
  lastRun: string | null;
  /** Every execution is older than the freshness window. */
  stale: boolean;
}

export interface CoverageResults {
  file: string;
  maxAgeDays: number;
  /** `own`: an alert counts when its rule is one of --rules; `any`: when it names a rule (no --rules given). */
  alerts: 'own' | 'any';
  validated: number;
  /** Techniques a test ran against within the window. */
  tested: number;
  /** Techniques with results, all stale. */
  stale: number;
}
