/** The records the results store takes in and gives back. */
import type { Outcome } from './outcomes.js';

export interface ExerciseSpec {
  name: string;
  /** YYYY-MM-DD; default: the day of its earliest execution. */
  date?: string;
  /** Threats the exercise emulated (ATT&CK ids or names), as chosen for the plan. */
  threats?: string[];
  /** The control stack it was run against (a name). */
  stack?: string;
}

export interface OutcomeInput {
  outcome: Outcome;
  /** Id or name of the rule that fired. */
  rule?: string;
  alertId?: string;
  note?: string;
  recordedBy?: string;
  /** When the outcome was recorded (ISO 8601); default: now. Given by exports, so re-importing one adds nothing. */
  recordedAt?: string;
  /** Only recorded when this input creates the execution (what a log says about itself, e.g. "ran"). */
  initial?: boolean;
}

/** What a log says about one run of a test, the same as a reader reads it and as the store records it. */
export interface ExecutionFacts {
  /** The exercise the file names (a Caldera operation, a sheet's column); `--exercise` wins over it. */
  exercise?: ExerciseSpec;
  testName?: string;
  platform?: string;
  host?: string;
  user?: string;
  /**
   * ISO 8601 UTC. Absent: the input marks an outcome on the latest execution of the test (on
   * that host, in that exercise, when given), and creates one without a start time if none exists.
   */
  startedAt?: string;
  endedAt?: string;
  exitStatus?: number;
  outcomes: OutcomeInput[];
  /** The record names its execution exactly (an export): an empty start time is part of the key, not a mark. */
  exact?: boolean;
}

export interface ExecutionInput extends ExecutionFacts {
  /** Technique of the loaded ATT&CK (after the crosswalk). */
  technique: string;
  /** As the log wrote it. */
  techniqueRaw: string;
  /** Knowledge-base source of the test (`atomic-red-team`, `caldera` …). */
  source: string;
  /** Upstream test id: Atomic GUID, Caldera ability id, Prelude TTP id … */
  testId: string;
  /** Index in `ImportBatch.files` of the file it was read from. */
  file?: number;
}

export interface ImportedFile {
  /** As given on the command line (or the upload's name). */
  name: string;
  format: string;
  sha256: string;
}

export interface ImportBatch {
  records: ExecutionInput[];
  /** The files the records were read from: each one that adds something gets a row in `imports`. */
  files?: ImportedFile[];
  /** `--exercise`: every record goes there. */
  exercise?: ExerciseSpec;
  /** Who recorded outcomes that do not say. */
  recordedBy?: string;
  now?: Date;
}

export interface WriteSummary {
  executionsAdded: number;
  /** Inputs whose execution was already stored (the same log imported again). */
  executionsKnown: number;
  outcomesAdded: number;
  /** Outcomes already recorded, left out. */
  outcomesKnown: number;
  exercises: string[];
  /** The execution each record went to, in record order. */
  touched: number[];
}

export interface OutcomeRow {
  id: number;
  outcome: Outcome;
  rule: string | null;
  alertId: string | null;
  note: string | null;
  recordedBy: string | null;
  recordedAt: string;
}

export interface ExecutionRow {
  id: number;
  exercise: string;
  exerciseDate: string | null;
  technique: string;
  techniqueRaw: string;
  source: string;
  testId: string;
  testName: string | null;
  platform: string | null;
  host: string;
  user: string | null;
  /** '' when unknown (an outcome marked by hand). */
  startedAt: string;
  endedAt: string | null;
  exitStatus: number | null;
  recordedAt: string;
  /** Oldest first; the last is the current outcome. */
  outcomes: OutcomeRow[];
}

export interface ExerciseRow {
  id: number;
  name: string;
  date: string | null;
  threats: string[];
  stack: string | null;
  createdAt: string;
  executions: number;
}
