/**
 * The results store's schema as a list of forward migrations. A file records the version it has
 * reached in `PRAGMA user_version`; opening it runs the migrations it lacks, in order, each in its
 * own transaction. Never edit a released migration: append a new one.
 */
import { OUTCOMES } from './outcomes.js';

const outcomeList = OUTCOMES.map((o) => `'${o}'`).join(', ');

/** migrations[i] takes a file from version i to version i + 1. */
export const MIGRATIONS: readonly string[] = [
  // 1: exercises → executions → outcomes. An execution is keyed by the test, the host and the
  // start time, so importing the same log twice adds nothing; outcomes are only ever appended.
  `
CREATE TABLE exercises (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  date TEXT,
  threats TEXT NOT NULL DEFAULT '[]',
  stack TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE executions (
  id INTEGER PRIMARY KEY,
  exercise INTEGER NOT NULL REFERENCES exercises(id),
  technique TEXT NOT NULL,
  technique_raw TEXT NOT NULL,
  source TEXT NOT NULL,
  test_id TEXT NOT NULL CHECK (test_id <> ''),
  test_name TEXT,
  platform TEXT,
  host TEXT NOT NULL DEFAULT '',
  user TEXT,
  started_at TEXT NOT NULL DEFAULT '',
  ended_at TEXT,
  exit_status INTEGER,
  recorded_at TEXT NOT NULL,
  UNIQUE (source, test_id, host, started_at)
);
CREATE INDEX executions_technique ON executions(technique);
CREATE INDEX executions_exercise ON executions(exercise);
CREATE TABLE outcomes (
  id INTEGER PRIMARY KEY,
  execution INTEGER NOT NULL REFERENCES executions(id),
  outcome TEXT NOT NULL CHECK (outcome IN (${outcomeList})),
  rule TEXT,
  alert_id TEXT,
  note TEXT,
  recorded_by TEXT,
  recorded_at TEXT NOT NULL
);
CREATE INDEX outcomes_execution ON outcomes(execution, id);
`,
  // 2: where results came from: each imported file (name, format, SHA-256, who, when) that added
  // something, and on every execution and outcome the import that added it (null: marked by hand
  // or through the API, or stored before this version).
  `
CREATE TABLE imports (
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  format TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  imported_by TEXT,
  executions INTEGER NOT NULL DEFAULT 0,
  outcomes INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE executions ADD COLUMN import INTEGER REFERENCES imports(id);
ALTER TABLE outcomes ADD COLUMN import INTEGER REFERENCES imports(id);
`,
];

export const RESULTS_SCHEMA_VERSION = MIGRATIONS.length;
