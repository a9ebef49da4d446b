/**
 * `results import`: every file read and resolved first (a file that cannot be read stops the
 * import before anything is written), then all of it stored in one transaction.
 */
import { Crosswalk } from '../crosswalk/translate.js';
import { releaseFromKb } from '../crosswalk/release.js';
import type { KnowledgeBase } from '../kb/open.js';
import { TestCatalog } from './catalog.js';
import { ImportError, type ImportFormat } from './importers/types.js';
import type { ReadFile } from './importers/read.js';
import type { ExecutionInput, ExerciseSpec, ImportedFile, WriteSummary } from './model.js';
import { resolveRecords } from './resolve.js';
import type { ResultsStore } from './store.js';

export interface ImportOptions {
  exercise?: ExerciseSpec;
  recordedBy?: string;
  now?: Date;
  progress?: (done: number, total: number) => void;
}

export interface FileReport {
  name: string;
  format: ImportFormat;
  /** Executions read from the file (rows left out not counted). */
  records: number;
  /** Sheet rows nobody filled in. */
  empty: number;
}

export interface ImportReport {
  files: FileReport[];
  summary: WriteSummary;
  /** Rows left out, one line each naming the row. */
  warnings: string[];
  /** "T1562.001 → T1685" → rows. */
  carried: Map<string, number>;
}

/** Resolves parsed files against the knowledge base and stores them in one transaction. */
export function importParsed(store: ResultsStore, kb: KnowledgeBase, files: readonly (ReadFile & { name: string })[], opts: ImportOptions = {}): ImportReport {
  const crosswalk = new Crosswalk(releaseFromKb(kb));
  const catalog = new TestCatalog(kb);
  const records: ExecutionInput[] = [];
  const warnings: string[] = [];
  const carried = new Map<string, number>();
  const reports: FileReport[] = [];
  files.forEach((f, i) => {
    // Loops, not push(...list): a file of 200 000 rows would overflow the call stack.
    for (const w of f.warnings) warnings.push(w);
    const r = resolveRecords(f.records, { crosswalk, catalog, file: i });
    for (const x of r.records) records.push(x);
    for (const w of r.warnings) warnings.push(w);
    for (const [k, n] of r.carried) carried.set(k, (carried.get(k) ?? 0) + n);
    reports.push({ name: f.name, format: f.format, records: r.records.length, empty: f.empty });
  });
  if (!records.length) {
    const why = warnings.length ? `every row was left out:\n${warnings.slice(0, 20).join('\n')}${warnings.length > 20 ? `\n… and ${warnings.length - 20} more` : ''}`
      : reports.some((r) => r.empty) ? 'no row has an outcome or a start time filled in' : 'the file holds no execution';
    throw new ImportError(`nothing to import from ${files.map((f) => f.name).join(', ')}: ${why}`);
  }
  const imported: ImportedFile[] = files.map((f) => ({ name: f.name, format: f.format, sha256: f.sha256 }));
  const summary = store.write({ records, files: imported, exercise: opts.exercise, recordedBy: opts.recordedBy, now: opts.now }, opts.progress);
  return { files: reports, summary, warnings, carried };
}
