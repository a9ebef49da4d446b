/**
 * `purplebook results`: what a team ran and what fired. `import` reads execution logs
 * (Invoke-AtomicRedTeam CSV and Attire, Caldera operation reports) and outcome sheets; `set`
 * marks one test's outcome; `list`, `export` and `trend` read the results file back.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Crosswalk, translated } from '../crosswalk/translate.js';
import { releaseFromKb } from '../crosswalk/release.js';
import type { KnowledgeBase } from '../kb/open.js';
import { TestCatalog, type CatalogTest } from '../results/catalog.js';
import { importParsed } from '../results/import.js';
import { readImportFile, type ReadFile } from '../results/importers/read.js';
import { findTestOf } from '../results/find-test.js';
import { IMPORT_FORMATS, type ImportFormat } from '../results/importers/types.js';
import type { ExerciseSpec } from '../results/model.js';
import { isOutcome, OUTCOMES } from '../results/outcomes.js';
import { defaultResultsPath } from '../results/paths.js';
import { evidenceOf, exportCsv, exportJson, listCsv, listJson, listMarkdown, trendCsv, trendMarkdown } from '../results/render.js';
import { ResultsError, ResultsStore } from '../results/store.js';
import { normalizeDate } from '../results/time.js';
import { trend } from '../results/trend.js';
import { DEFAULT_MAX_AGE_DAYS, viewExecutions, type ViewOptions } from '../results/view.js';
import { normalizeTechniqueId } from '../resolve.js';
import { createProgress } from '../util/progress.js';
import { defaultDbPath } from '../util/paths.js';
import { CliError, dbOption, EXIT_BAD_INPUT, EXIT_FAILURE, type FormatFlags, formatOf, out, withFormatOptions, withKb } from './common.js';
import { loadRules } from './own-rules.js';
import { collect } from './common.js';
import { openSink } from './output.js';

export const RESULTS_OPTION_HELP = 'results file (default: $PURPLEBOOK_RESULTS, else results.db beside the knowledge base)';

interface StoreOpts {
  results?: string;
  db?: string;
}

/** `--max-age DAYS` (default 180): results older than that are stale. */
export function maxAgeOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_AGE_DAYS;
  if (!/^\d{1,5}$/.test(value.trim())) throw new CliError(`--max-age must be a number of days, got "${value}"`, EXIT_BAD_INPUT);
  return Number(value);
}

function badFormat(value: string, allowed: readonly string[]): never {
  throw new CliError(`--format must be one of ${allowed.join(', ')}, got "${value}"`, EXIT_BAD_INPUT);
}

/** Opens the results file; a missing one is bad input unless `create`. */
export function openResults(o: StoreOpts, create = false): ResultsStore {
  try {
    return ResultsStore.open(defaultResultsPath(o.results, o.db), { create });
  } catch (e) {
    if (e instanceof ResultsError) throw new CliError(e.message, create ? EXIT_FAILURE : EXIT_BAD_INPUT);
    throw e;
  }
}

async function withResults<T>(o: StoreOpts, create: boolean, fn: (store: ResultsStore) => T | Promise<T>): Promise<T> {
  const store = openResults(o, create);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Views resolve techniques through the knowledge base when there is one; results are readable without it. */
async function withOptionalKb<T>(db: string | undefined, fn: (kb: KnowledgeBase | undefined) => T | Promise<T>): Promise<T> {
  if (!existsSync(defaultDbPath(db))) return fn(undefined);
  return withKb(db, fn);
}

function viewOptionsOf(kb: KnowledgeBase | undefined): ViewOptions {
  return kb ? { crosswalk: new Crosswalk(releaseFromKb(kb)), catalog: new TestCatalog(kb) } : {};
}

function whoAmI(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

function printWarnings(warnings: readonly string[]): void {
  const shown = warnings.slice(0, 50);
  for (const w of shown) process.stderr.write(`purplebook: warning: ${w}\n`);
  if (warnings.length > shown.length) process.stderr.write(`purplebook: warning: … and ${warnings.length - shown.length} more rows left out\n`);
}

function checkExerciseName(store: ResultsStore, name: string | undefined): void {
  if (name === undefined) return;
  const names = store.exercises().map((x) => x.name);
  if (!names.includes(name)) throw new CliError(`unknown exercise "${name}"; known: ${names.join(', ') || 'none yet'}`, EXIT_BAD_INPUT);
}

interface ImportOpts extends StoreOpts {
  exercise?: string;
  date?: string;
  threats?: string[];
  stack?: string;
  format?: string;
  by?: string;
  quiet?: boolean;
}

function exerciseSpecOf(o: ImportOpts): ExerciseSpec | undefined {
  if (!o.exercise) {
    if (o.date || o.threats?.length || o.stack) throw new CliError('--date, --threats and --stack describe an exercise: give its --exercise NAME', EXIT_BAD_INPUT);
    return undefined;
  }
  if (!o.exercise.trim()) throw new CliError('--exercise needs a name', EXIT_BAD_INPUT);
  const date = o.date === undefined ? undefined : normalizeDate(o.date);
  if (o.date !== undefined && !date) throw new CliError(`--date must be YYYY-MM-DD, got "${o.date}"`, EXIT_BAD_INPUT);
  return { name: o.exercise.trim(), ...(date ? { date } : {}), ...(o.threats?.length ? { threats: o.threats } : {}), ...(o.stack ? { stack: o.stack } : {}) };
}

/** The test named on the command line, for this technique; unknown is bad input. */
function findTest(catalog: TestCatalog, technique: { id: string; ids: string[] }, test: string): CatalogTest {
  return findTestOf(catalog, technique, test);
}

/** `--results` and `--db`, last of a results command's own options: where its store and knowledge base are. */
function storeOptions(command: Command): Command {
  return command.option('--results <file>', RESULTS_OPTION_HELP).addOption(dbOption());
}

export function registerResults(program: Command): void {
  const results = program.command('results').description('purple-team results: import execution logs and outcome sheets, mark what fired, list, export, trend');

  storeOptions(results.command('import')
    .description('import Invoke-AtomicRedTeam CSV or Attire logs, Caldera operation reports, outcome sheets (plan --format csv) or a results export; importing the same file twice adds nothing')
    .argument('<file...>', 'files to import (all in one transaction)')
    .option('--exercise <name>', 'put every execution in this exercise (default: the Caldera operation or the sheet\'s exercise, else "exercise <day of the first run>")')
    .option('--date <YYYY-MM-DD>', 'date of a new --exercise (default: its first run)')
    .option('--threats <ids>', 'threats a new --exercise emulated (repeatable, or comma-separated)', collect)
    .option('--stack <name>', 'control stack a new --exercise ran against')
    .option('--format <format>', `read the files as ${IMPORT_FORMATS.join(', ')} (default: recognised by content)`)
    .option('--by <name>', 'who records these outcomes (default: the login name)'))
    .option('--quiet', 'print nothing but warnings and errors')
    .action(async (paths: string[], o: ImportOpts) => {
      if (o.format && !(IMPORT_FORMATS as readonly string[]).includes(o.format)) badFormat(o.format, IMPORT_FORMATS);
      const exercise = exerciseSpecOf(o);
      const files: (ReadFile & { name: string })[] = paths.map((p) => ({ ...readImportFile(p, o.format as ImportFormat | undefined), name: p }));
      await withKb(o.db, (kb) => withResults(o, true, (store) => {
        const progress = createProgress({ quiet: o.quiet });
        let report;
        try {
          report = importParsed(store, kb, files, { exercise, recordedBy: o.by ?? whoAmI(), progress: (done, total) => progress.update('Importing', done, total) });
        } finally {
          progress.done();
        }
        printWarnings(report.warnings);
        if (o.quiet) return;
        const s = report.summary;
        const lines = [`Imported ${s.executionsAdded} executions and ${s.outcomesAdded} outcomes from ${files.length} file${files.length === 1 ? '' : 's'} `
          + `(${report.files.map((f) => `${f.name}: ${f.format}`).join(', ')}) into ${store.path}${s.exercises.length ? `; exercise${s.exercises.length === 1 ? '' : 's'} ${s.exercises.join(', ')}` : ''}`];
        if (s.executionsKnown || s.outcomesKnown) lines.push(`Already recorded, left as they were: ${s.executionsKnown} executions, ${s.outcomesKnown} outcomes`);
        const empty = report.files.reduce((n, f) => n + f.empty, 0);
        const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
        if (empty) lines.push(`${rows(empty)} of the sheet without an outcome or a start time: nothing to record`);
        if (report.warnings.length) lines.push(`${rows(report.warnings.length)} left out (warnings above)`);
        if (report.carried.size) lines.push(`Revoked ids carried through the crosswalk: ${[...report.carried].map(([k, n]) => `${k} (${n})`).join(', ')}`);
        process.stderr.write(`${lines.join('\n')}\n`);
      }));
    });

  storeOptions(results.command('set')
    .description('record the outcome of a test: on its latest execution (narrowed by --host and --exercise), or on a new one')
    .argument('<technique>', 'technique id (a revoked one is carried to its replacement)')
    .argument('<test>', 'test: Atomic GUID, Atomic number (3 or T1059.001-3), Caldera ability id, Prelude TTP id …')
    .requiredOption('--outcome <outcome>', OUTCOMES.join(', '))
    .option('--rule <id>', 'the rule that fired: its id, title or file (needed for alerted)')
    .option('--alert <id>', 'id of the alert in the SIEM or EDR')
    .option('--note <text>', 'free text')
    .option('--host <name>', 'the host the test ran on')
    .option('--exercise <name>', 'the exercise (created if new)')
    .option('--by <name>', 'who records it (default: the login name)'))
    .action(async (techniqueArg: string, testArg: string, o: StoreOpts & { outcome: string; rule?: string; alert?: string; note?: string; host?: string; exercise?: string; by?: string }) => {
      const outcome = o.outcome.trim().toLowerCase();
      if (!isOutcome(outcome)) throw new CliError(`--outcome must be one of ${OUTCOMES.join(', ')}, got "${o.outcome}"`, EXIT_BAD_INPUT);
      if (outcome === 'alerted' && !o.rule?.trim()) throw new CliError('--outcome alerted needs --rule: the rule that fired', EXIT_BAD_INPUT);
      if (o.exercise !== undefined && !o.exercise.trim()) throw new CliError('--exercise needs a name', EXIT_BAD_INPUT);
      await withKb(o.db, (kb) => {
        const crosswalk = new Crosswalk(releaseFromKb(kb));
        const t = crosswalk.translate(techniqueArg);
        if (!translated(t)) throw new CliError(`technique "${techniqueArg}": ${t.notes[0] ?? t.outcome}`, EXIT_BAD_INPUT);
        const test = findTest(new TestCatalog(kb), t, testArg);
        const technique = t.ids.find((id) => test.techniques.includes(id)) ?? t.ids[0]!;
        return withResults(o, true, (store) => {
          const s = store.write({
            records: [{
              technique, techniqueRaw: t.id, source: test.source, testId: test.id, testName: test.name, host: o.host,
              platform: test.platforms.length === 1 ? test.platforms[0] : undefined,
              outcomes: [{ outcome, rule: o.rule, alertId: o.alert, note: o.note }],
            }],
            exercise: o.exercise ? { name: o.exercise.trim() } : undefined, recordedBy: o.by ?? whoAmI(),
          });
          const [e] = store.history({ ids: s.touched });
          const what = `${outcome}${evidenceOf(e!.outcomes.at(-1)) ? ` (${evidenceOf(e!.outcomes.at(-1))})` : ''}`;
          const where = `${test.sourceTitle} test ${test.id} "${test.name}" of ${technique}${e!.host ? ` on ${e!.host}` : ''}, ${e!.startedAt ? `run ${e!.startedAt}` : 'no run time recorded'}, exercise ${e!.exercise}`;
          process.stderr.write(s.outcomesAdded ? `Recorded ${what} for ${where}\n` : `Already recorded: ${what} is the current outcome of ${where}\n`);
          if (t.outcome === 'replaced') process.stderr.write(`${t.id}: ${t.notes[0]}\n`);
        });
      });
    });

  const LIST_FORMATS = ['markdown', 'json', 'csv'] as const;
  storeOptions(withFormatOptions(results.command('list'), LIST_FORMATS, 'markdown', { csv: true })
    .description('executions with their current outcome, newest first (json: with every outcome recorded)')
    .option('--exercise <name>', 'only this exercise')
    .option('--technique <id>', 'only this technique (revoked ids are carried to their replacement)'))
    .action(async (o: StoreOpts & FormatFlags & { exercise?: string; technique?: string }) => {
      const format = formatOf(o, LIST_FORMATS, 'markdown');
      await withResults(o, false, (store) => withOptionalKb(o.db, async (kb) => {
        checkExerciseName(store, o.exercise);
        const vo = viewOptionsOf(kb);
        let rows = store.history({ exercise: o.exercise });
        if (o.technique) {
          const id = normalizeTechniqueId(o.technique);
          const wanted = new Set([id, ...(vo.crosswalk ? vo.crosswalk.translate(id).ids : [])]);
          const views = viewExecutions(rows, vo);
          rows = views.filter((e) => wanted.has(e.technique) || wanted.has(e.techniqueRaw) || e.techniques.some((x) => wanted.has(x)));
        }
        if (format === 'json') await out(listJson(rows));
        else if (format === 'csv') await out(listCsv(rows, store.exercises()));
        else await out(listMarkdown(rows, `Results${o.exercise ? ` of ${o.exercise}` : ''}${o.technique ? ` for ${normalizeTechniqueId(o.technique)}` : ''}`));
      }));
    });

  const EXPORT_FORMATS = ['json', 'csv'] as const;
  storeOptions(withFormatOptions(results.command('export'), EXPORT_FORMATS, 'json', { csv: true })
    .description('every execution and every outcome recorded, as JSON or CSV that `results import` reads back')
    .option('--exercise <name>', 'only this exercise')
    .option('--out <file>', 'write to this file (atomically) instead of stdout'))
    .action(async (o: StoreOpts & FormatFlags & { exercise?: string; out?: string }) => {
      const format = formatOf(o, EXPORT_FORMATS, 'json');
      await withResults(o, false, async (store) => {
        checkExerciseName(store, o.exercise);
        const rows = store.history({ exercise: o.exercise });
        const text = format === 'csv' ? exportCsv(rows, store.exercises()) : exportJson(rows, store.exercises());
        const sink = openSink(o.out);
        try {
          await sink.write(text);
          await sink.close();
        } catch (e) {
          sink.abort();
          throw new CliError(`cannot write ${o.out}: ${(e as Error).message}`, EXIT_FAILURE);
        }
      });
    });

  const TREND_FORMATS = ['markdown', 'json', 'csv'] as const;
  storeOptions(withFormatOptions(results.command('trend'), TREND_FORMATS, 'markdown', { csv: true })
    .description('validated techniques per exercise, in date order (validated: prevented, or alerted by an own rule)')
    .option('--rules <path>', 'own rules: an alert counts only when its rule is one of them (default: any alert naming its rule)', collect))
    .action(async (o: StoreOpts & FormatFlags & { rules?: string[] }) => {
      const format = formatOf(o, TREND_FORMATS, 'markdown');
      const rules = loadRules(o.rules);
      await withResults(o, false, (store) => withOptionalKb(o.db, async (kb) => {
        const rows = trend(store.exercises(), viewExecutions(store.history(), viewOptionsOf(kb)), rules);
        const note = rules ? `Validated: a test ran and was prevented, or alerted with one of the ${rules.rules.length} own rules given.`
          : 'Validated: a test ran and was prevented, or alerted naming its rule (give --rules to count only own rules).';
        if (format === 'json') await out(`${JSON.stringify(rows, null, 2)}\n`);
        else if (format === 'csv') await out(trendCsv(rows));
        else await out(trendMarkdown(rows, note));
      }));
    });
}
