/**
 * The results store: what a team ran and what fired, in its own SQLite file beside the
 * knowledge base (which `build` replaces; this file it never touches). WAL mode, so readers
 * (a server, a report) never block a writer and several writers queue on the lock. Every write
 * is one transaction: a crash leaves the file as it was before it, or with all of it.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExecutionInput, ExecutionRow, ExerciseRow, ExerciseSpec, ImportBatch, OutcomeInput, OutcomeRow, WriteSummary } from './model.js';
import type { Outcome } from './outcomes.js';
import { MIGRATIONS, RESULTS_SCHEMA_VERSION } from './schema.js';
import { isoSeconds } from './time.js';
import { InputError } from '../core/errors.js';

export class ResultsError extends InputError {}

export interface OpenOptions {
  /** Create the file (and its folder) when missing; otherwise a missing file is an error. */
  create?: boolean;
  /** How long a writer waits for another one's lock (default 10 s). */
  busyTimeoutMs?: number;
}

export interface HistoryFilter {
  exercise?: string;
  ids?: readonly number[];
  /** Stored technique ids (callers translate through the crosswalk first). */
  techniques?: readonly string[];
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const clean = (v: string | undefined): string | null => {
  const t = v?.trim();
  return t ? t : null;
};

export class ResultsStore {
  readonly db: Database.Database;
  /** The `imports` row of the file whose record is being written (null for marks made by hand or through the API). */
  private importId: number | null = null;
  /** Statements of the write path, prepared once: preparing per row was most of an import's time. */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(readonly path: string, opts: OpenOptions) {
    if (opts.create) mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path, { fileMustExist: !opts.create, timeout: opts.busyTimeoutMs ?? 10_000 });
    } catch (e) {
      throw new ResultsError(`cannot open results file ${path}: ${(e as Error).message}`);
    }
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: a committed import survives power loss too, not only a killed process.
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    } catch (e) {
      this.db.close();
      if (e instanceof ResultsError) throw e;
      throw new ResultsError(`${path} is not a Purplebook results file: ${(e as Error).message}`);
    }
  }

  /** Opens (and migrates) a results file. */
  static open(path: string, opts: OpenOptions = {}): ResultsStore {
    if (!opts.create && !existsSync(path)) throw new ResultsError(`no results file at ${path}: \`purplebook results import\` creates it`);
    return new ResultsStore(path, opts);
  }

  get version(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs the migrations the file lacks; two processes opening an old file at once migrate it once. */
  private migrate(): void {
    const step = this.db.transaction(() => {
      const from = this.version;
      if (from > RESULTS_SCHEMA_VERSION) {
        throw new ResultsError(`${this.path} was written by a newer Purplebook (results schema ${from}, this one knows up to ${RESULTS_SCHEMA_VERSION})`);
      }
      if (from > 0 && !this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'executions'").get()) {
        throw new ResultsError(`${this.path} is not a Purplebook results file (schema ${from} without an executions table)`);
      }
      if (from === 0 && this.db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").pluck().get() !== 0) {
        throw new ResultsError(`${this.path} is an SQLite file of something else, not a Purplebook results file`);
      }
      for (let v = from; v < RESULTS_SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      this.db.pragma(`user_version = ${RESULTS_SCHEMA_VERSION}`);
    });
    if (this.version !== RESULTS_SCHEMA_VERSION) step.immediate();
  }

  /* ------------------------------------------------------------------ writes */

  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (!st) this.statements.set(text, (st = this.db.prepare(text)));
    return st;
  }

  /** Stores a batch in one transaction: all of it or, on any error, none of it. */
  write(batch: ImportBatch, progress?: (done: number, total: number) => void): WriteSummary {
    const now = isoSeconds(batch.now ?? new Date());
    const summary: WriteSummary = { executionsAdded: 0, executionsKnown: 0, outcomesAdded: 0, outcomesKnown: 0, exercises: [], touched: [] };
    const exercises = new Map<string, number>();
    /** Executions that gained something: their exercises are the ones the summary names. */
    const changed = new Set<number>();
    const run = this.db.transaction(() => {
      const imports = new Imports(this.db, batch, now);
      for (const [i, rec] of batch.records.entries()) {
        if (progress && i % 500 === 0) progress(i, batch.records.length);
        this.importId = imports.idOf(rec.file);
        const spec = batch.exercise ?? rec.exercise;
        // Exercises are created only when an execution goes into them: re-importing a log into no exercise makes no empty one.
        const exercise = () => (spec ? this.exerciseId(spec, batch, now, exercises) : this.defaultExercise(batch, now, exercises));
        const { id: executionId, created } = rec.startedAt || rec.exact ? this.keyedExecution(rec, exercise, now) : this.markedExecution(rec, spec, exercise, now);
        summary.touched.push(executionId);
        if (created) summary.executionsAdded++;
        else summary.executionsKnown++;
        if (created) imports.count(rec.file, 'executions');
        for (const o of rec.outcomes) {
          if (this.addOutcome(executionId, o, created, batch.recordedBy, now)) {
            summary.outcomesAdded++;
            imports.count(rec.file, 'outcomes');
            changed.add(executionId);
          } else summary.outcomesKnown++;
        }
        if (created) changed.add(executionId);
      }
      imports.finish();
      summary.exercises = this.sql('SELECT DISTINCT x.name FROM executions e JOIN exercises x ON x.id = e.exercise WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY x.name')
        .pluck().all(JSON.stringify([...changed])) as string[];
    });
    try {
      run.immediate();
    } finally {
      this.importId = null;
    }
    return summary;
  }

  /** The exercise's id, created on first use; an existing one keeps its fields and only gains missing ones. */
  private exerciseId(spec: ExerciseSpec, batch: ImportBatch, now: string, seen: Map<string, number>): number {
    const name = spec.name.trim();
    const known = seen.get(name);
    if (known !== undefined) return known;
    const records = batch.exercise ? batch.records : batch.records.filter((r) => r.exercise?.name.trim() === name);
    const row = this.sql('SELECT id, date, threats, stack FROM exercises WHERE name = ?').get(name) as Row | undefined;
    let id: number;
    if (row) {
      id = row.id as number;
      // Fill what was unknown; never overwrite what was recorded.
      if (row.date === null && spec.date) this.sql('UPDATE exercises SET date = ? WHERE id = ?').run(spec.date, id);
      if (row.stack === null && spec.stack) this.sql('UPDATE exercises SET stack = ? WHERE id = ?').run(spec.stack, id);
      if (row.threats === '[]' && spec.threats?.length) this.sql('UPDATE exercises SET threats = ? WHERE id = ?').run(JSON.stringify(spec.threats), id);
    } else {
      const date = spec.date ?? earliestDay(records) ?? now.slice(0, 10);
      id = Number(this.sql('INSERT INTO exercises (name, date, threats, stack, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(name, date, JSON.stringify(spec.threats ?? []), clean(spec.stack), now).lastInsertRowid);
    }
    seen.set(name, id);
    return id;
  }

  /** Records that name no exercise go to one named after the day of the batch's earliest execution. */
  private defaultExercise(batch: ImportBatch, now: string, seen: Map<string, number>): number {
    const known = seen.get('');
    if (known !== undefined) return known;
    const day = earliestDay(batch.records.filter((r) => !r.exercise)) ?? now.slice(0, 10);
    const id = this.exerciseId({ name: `exercise ${day}`, date: day }, { records: [] }, now, seen);
    // Keyed by '' (no exercise name is empty): computed once per batch, not once per record.
    seen.set('', id);
    return id;
  }

  private keyedExecution(rec: ExecutionInput, exercise: () => number, now: string): { id: number; created: boolean } {
    const host = normalizeHost(rec.host);
    const known = this.sql('SELECT id FROM executions WHERE source = ? AND test_id = ? AND host = ? AND started_at = ?')
      .pluck().get(rec.source, rec.testId, host, rec.startedAt ?? '') as number | undefined;
    if (known !== undefined) return { id: known, created: false };
    const info = this.sql(`INSERT INTO executions (exercise, technique, technique_raw, source, test_id, test_name, platform, host, user, started_at, ended_at, exit_status, recorded_at, import)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(exercise(), rec.technique, rec.techniqueRaw, rec.source, rec.testId, clean(rec.testName), clean(rec.platform), host, clean(rec.user),
        rec.startedAt ?? '', clean(rec.endedAt), rec.exitStatus ?? null, now, this.importId);
    return { id: Number(info.lastInsertRowid), created: true };
  }

  /** The latest execution of the test (narrowed by host and exercise when given), else a new one without a start time. */
  private markedExecution(rec: ExecutionInput, spec: ExerciseSpec | undefined, exercise: () => number, now: string): { id: number; created: boolean } {
    const host = normalizeHost(rec.host);
    const where = ['source = ?', 'test_id = ?'];
    const args: unknown[] = [rec.source, rec.testId];
    if (host) {
      where.push('host = ?');
      args.push(host);
    }
    if (spec) {
      where.push('exercise IN (SELECT id FROM exercises WHERE name = ?)');
      args.push(spec.name.trim());
    }
    const found = this.sql(`SELECT id FROM executions WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT 1`).pluck().get(...args) as number | undefined;
    if (found !== undefined) return { id: found, created: false };
    return this.keyedExecution({ ...rec, startedAt: '' }, exercise, now);
  }

  /** Appends an outcome unless it is already there: the same export re-imported, the same mark made twice. */
  private addOutcome(execution: number, o: OutcomeInput, executionCreated: boolean, recordedBy: string | undefined, now: string): boolean {
    if (o.initial && !executionCreated) return false;
    const values = [o.outcome, clean(o.rule), clean(o.alertId), clean(o.note)] as const;
    const same = 'outcome = ? AND rule IS ? AND alert_id IS ? AND note IS ?';
    if (o.recordedAt) {
      if (this.sql(`SELECT 1 FROM outcomes WHERE execution = ? AND ${same} AND recorded_at = ?`).get(execution, ...values, o.recordedAt)) return false;
    } else {
      const last = this.sql('SELECT outcome, rule, alert_id, note FROM outcomes WHERE execution = ? ORDER BY id DESC LIMIT 1').get(execution) as Row | undefined;
      if (last && last.outcome === values[0] && last.rule === values[1] && last.alert_id === values[2] && last.note === values[3]) return false;
    }
    this.sql('INSERT INTO outcomes (execution, outcome, rule, alert_id, note, recorded_by, recorded_at, import) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(execution, ...values, clean(o.recordedBy) ?? clean(recordedBy), o.recordedAt ?? now, this.importId);
    return true;
  }

  /* ------------------------------------------------------------------ reads */

  exercises(): ExerciseRow[] {
    return (this.db.prepare(`SELECT x.*, (SELECT COUNT(*) FROM executions e WHERE e.exercise = x.id) AS n FROM exercises x ORDER BY x.date, x.name`).all() as Row[])
      .map((r) => ({
        id: r.id as number, name: r.name as string, date: str(r.date), threats: JSON.parse(r.threats as string) as string[], stack: str(r.stack),
        createdAt: r.created_at as string, executions: r.n as number,
      }));
  }

  /** Executions with their whole outcome history, newest first. */
  history(filter: HistoryFilter = {}): ExecutionRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.exercise !== undefined) {
      where.push('x.name = ?');
      args.push(filter.exercise);
    }
    if (filter.ids) {
      where.push('e.id IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(filter.ids));
    }
    if (filter.techniques) {
      where.push('e.technique IN (SELECT value FROM json_each(?))');
      args.push(JSON.stringify(filter.techniques));
    }
    const rows = this.db.prepare(`SELECT e.*, x.name AS exercise_name, x.date AS exercise_date FROM executions e JOIN exercises x ON x.id = e.exercise
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.started_at DESC, e.id DESC`).all(...args) as Row[];
    const byExecution = new Map<number, OutcomeRow[]>();
    if (rows.length) {
      const outcomes = this.db.prepare('SELECT * FROM outcomes WHERE execution IN (SELECT value FROM json_each(?)) ORDER BY id')
        .all(JSON.stringify(rows.map((r) => r.id))) as Row[];
      for (const o of outcomes) {
        const list = byExecution.get(o.execution as number) ?? [];
        list.push({
          id: o.id as number, outcome: o.outcome as Outcome, rule: str(o.rule), alertId: str(o.alert_id), note: str(o.note),
          recordedBy: str(o.recorded_by), recordedAt: o.recorded_at as string,
        });
        byExecution.set(o.execution as number, list);
      }
    }
    return rows.map((r) => ({
      id: r.id as number, exercise: r.exercise_name as string, exerciseDate: str(r.exercise_date), technique: r.technique as string,
      techniqueRaw: r.technique_raw as string, source: r.source as string, testId: r.test_id as string, testName: str(r.test_name),
      platform: str(r.platform), host: r.host as string, user: str(r.user), startedAt: r.started_at as string, endedAt: str(r.ended_at),
      exitStatus: typeof r.exit_status === 'number' ? r.exit_status : null, recordedAt: r.recorded_at as string,
      outcomes: byExecution.get(r.id as number) ?? [],
    }));
  }

  /** Imported files that added something, oldest first. */
  imports(): { id: number; file: string; format: string; sha256: string; importedAt: string; importedBy: string | null; executions: number; outcomes: number }[] {
    return (this.db.prepare('SELECT * FROM imports ORDER BY id').all() as Row[]).map((r) => ({
      id: r.id as number, file: r.file as string, format: r.format as string, sha256: r.sha256 as string, importedAt: r.imported_at as string,
      importedBy: str(r.imported_by), executions: r.executions as number, outcomes: r.outcomes as number,
    }));
  }

  counts(): { exercises: number; executions: number; outcomes: number } {
    const n = (table: string) => this.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    return { exercises: n('exercises'), executions: n('executions'), outcomes: n('outcomes') };
  }
}

/** The `imports` rows of a batch's files: written up front, dropped again when the file added nothing. */
class Imports {
  private readonly ids: (number | null)[];
  private readonly added = new Map<number, { executions: number; outcomes: number }>();

  constructor(private readonly db: Database.Database, private readonly batch: ImportBatch, now: string) {
    const insert = db.prepare('INSERT INTO imports (file, format, sha256, imported_at, imported_by) VALUES (?, ?, ?, ?, ?)');
    this.ids = (batch.files ?? []).map((f) => Number(insert.run(f.name, f.format, f.sha256, now, clean(batch.recordedBy)).lastInsertRowid));
  }

  idOf(file: number | undefined): number | null {
    return file === undefined ? null : this.ids[file] ?? null;
  }

  count(file: number | undefined, what: 'executions' | 'outcomes'): void {
    const id = this.idOf(file);
    if (id === null) return;
    const c = this.added.get(id) ?? { executions: 0, outcomes: 0 };
    c[what]++;
    this.added.set(id, c);
  }

  finish(): void {
    for (const id of this.ids) {
      if (id === null) continue;
      const c = this.added.get(id);
      // A log imported again added nothing: it leaves no trace either.
      if (!c) this.db.prepare('DELETE FROM imports WHERE id = ?').run(id);
      else this.db.prepare('UPDATE imports SET executions = ?, outcomes = ? WHERE id = ?').run(c.executions, c.outcomes, id);
    }
  }
}

/** Host names are case-insensitive: `WS01` from one logger and `ws01` from another are one host. */
export function normalizeHost(host: string | undefined): string {
  return (host ?? '').trim().toLowerCase();
}

function earliestDay(records: readonly ExecutionInput[]): string | undefined {
  let min: string | undefined;
  for (const r of records) if (r.startedAt && (!min || r.startedAt < min)) min = r.startedAt;
  return min?.slice(0, 10);
}
