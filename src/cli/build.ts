import type { Command } from 'commander';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DOMAINS } from '../attack/types.js';
import { newerHint, newerIds } from '../crosswalk/newer.js';
import { releaseFromKb } from '../crosswalk/release.js';
import { buildKnowledgeBase } from '../kb/build.js';
import type { CacheReport } from '../kb/read-sources.js';
import { loadBuildLimits } from '../kb/limits-config.js';
import { KnowledgeBase } from '../kb/open.js';
import { removeStaleTempFiles } from '../kb/temp-files.js';
import { sourcePresent } from '../sources/collect.js';
import { ALL_SOURCES } from '../sources/registry.js';
import { defaultDataDir, defaultDbPath } from '../util/paths.js';
import { checkDbPath, CliError, dbOption, EXIT_BAD_INPUT, formatOf, withFormatOptions } from './common.js';

const BUNDLES = DOMAINS.map((d) => `attack/${d}.json`);
const hasBundle = (dir: string) => BUNDLES.some((b) => existsSync(join(dir, b)));

/**
 * A folder without any ATT&CK bundle is not a data folder: building from it would replace a good
 * knowledge base with an empty one. Names the folder nearby that is one, when there is one (the
 * parent of a source's folder, or a `data` folder inside the one given).
 */
function checkDataDir(dataDir: string): void {
  let stat;
  try {
    stat = statSync(dataDir);
  } catch {
    throw new CliError(`data folder ${dataDir} does not exist (run \`purplebook sync\` or pass --data)`, EXIT_BAD_INPUT);
  }
  if (!stat.isDirectory()) throw new CliError(`--data ${dataDir} is a file; expected the data folder (the one holding attack/ and a folder per source)`, EXIT_BAD_INPUT);
  if (hasBundle(dataDir)) return;
  let near: string | undefined;
  if (hasBundle(dirname(dataDir))) near = dirname(dataDir);
  else {
    try {
      near = readdirSync(dataDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dataDir, e.name)).find(hasBundle);
    } catch {
      // An unreadable folder: the message below says what is missing.
    }
  }
  throw new CliError(`no ATT&CK bundle in ${dataDir} (expected ${BUNDLES[0]}): nothing built`
    + `${near ? `; did you mean --data ${near}?` : ' (run `purplebook sync`, or pass the data folder with --data)'}`, EXIT_BAD_INPUT);
}

/** Sources loaded in the knowledge base about to be replaced whose folders this data folder lacks. */
function sourcesToLose(dbPath: string, dataDir: string): { before: number; lost: string[] } | undefined {
  if (!existsSync(dbPath)) return undefined;
  let kb: KnowledgeBase | undefined;
  try {
    kb = KnowledgeBase.open(dbPath);
    const loaded = kb.sources().filter((s) => s.loaded).map((s) => s.name);
    const lost = loaded.filter((name) => {
      const source = ALL_SOURCES.find((s) => s.name === name);
      return source && !sourcePresent(source, dataDir);
    });
    return { before: loaded.length, lost };
  } catch {
    // An older or damaged knowledge base: nothing to compare with, and the build replaces it anyway.
    return undefined;
  } finally {
    kb?.close();
  }
}

/** Refuses, before the rename, a build in which no technique was loaded (every bundle unreadable). */
function refuseEmpty(dataDir: string) {
  return (tempPath: string) => {
    const db = new Database(tempPath, { readonly: true });
    try {
      const n = db.prepare("SELECT COUNT(*) FROM techniques WHERE status = 'active'").pluck().get() as number;
      if (n) return;
      const why = db.prepare("SELECT file, reason FROM warnings WHERE source = 'attack' ORDER BY rowid LIMIT 1").get() as { file: string; reason: string } | undefined;
      throw new CliError(`no ATT&CK technique could be loaded from ${dataDir}${why ? ` (${why.file}: ${why.reason})` : ''}: nothing built`, EXIT_BAD_INPUT);
    } finally {
      db.close();
    }
  };
}

/** One line when public rule sets already tag ids of a newer ATT&CK than the one just loaded. */
function newerSourcesHint(dbPath: string, sources: string[]): string | undefined {
  if (!sources.length) return undefined;
  const kb = KnowledgeBase.open(dbPath);
  try {
    const release = releaseFromKb(kb);
    const bySource = sources.map((s) => ({ s, ids: newerIds(kb.unknownIds(s).map((u) => u.technique), release) })).filter((x) => x.ids.length);
    const ids = [...new Set(bySource.flatMap((x) => x.ids))].sort();
    return newerHint(`${bySource.map((x) => x.s).join(', ')}`, ids, kb.attackVersion);
  } finally {
    kb.close();
  }
}

/** What the parse cache did, in one line; a cache that could not be used or written says why. */
function parseCacheLine(c: CacheReport): string | undefined {
  if (!c.path) return undefined;
  const parts = [];
  if (c.discarded) parts.push(`Parse cache ${c.path} ${c.discarded === 'ignored (--full)' ? 'ignored (--full)' : `discarded: ${c.discarded}`}`);
  const reused = c.reused.files + c.reused.sources;
  if (reused || c.reused.attack) {
    parts.push(`Parse cache: ${c.reused.files} files and ${c.reused.sources + (c.reused.attack ? 1 : 0)} sources unchanged, ${c.read.files} files and ${c.read.sources + (c.read.attack ? 1 : 0)} sources read`);
  }
  if (c.saveError) parts.push(`Parse cache not written (${c.saveError}): the next build reads everything again`);
  return parts.length ? parts.join('\n') : undefined;
}

export function registerBuild(program: Command): void {
  withFormatOptions(program
    .command('build')
    .description('build the knowledge base from a data folder (every source found there)'), ['text', 'json'], 'text')
    .option('--data <dir>', 'data folder (default: $PURPLEBOOK_DATA, else the synced cache, else ../shared/data of a checkout)')
    .addOption(dbOption())
    .option('--config <file>', 'JSON settings whose "build": {"limits": {…}} sets maxFileBytes, maxBundleBytes, maxYamlAliases, maxDepth, maxTechniquesPerResource (default: $PURPLEBOOK_CONFIG, else ./purplebook.config.json when present)')
    .option('--full', 'read every file afresh, ignoring the parse cache kept beside the knowledge base')
    .option('--jobs <n>', 'worker threads reading the sources (default: the CPU count; 1 reads in one thread)')
    .option('--quiet', 'print nothing but errors')
    .action(async (opts: { data?: string; db?: string; config?: string; full?: boolean; jobs?: string; quiet?: boolean; format?: string; json?: boolean }) => {
      const json = formatOf(opts, ['text', 'json'], 'text') === 'json';
      const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
      if (jobs !== undefined && (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 256)) {
        throw new CliError(`--jobs must be a whole number from 1 to 256, got ${JSON.stringify(opts.jobs)}`, EXIT_BAD_INPUT);
      }
      const config = loadBuildLimits(opts.config);
      const dataDir = defaultDataDir(opts.data);
      checkDataDir(dataDir);
      const dbPath = defaultDbPath(opts.db);
      checkDbPath(dbPath);
      if (existsSync(dirname(dbPath)) && !statSync(dirname(dbPath)).isDirectory()) {
        throw new CliError(`--db ${dbPath}: ${dirname(dbPath)} is a file, not a folder`, EXIT_BAD_INPUT);
      }
      const err = process.stderr;
      const losing = sourcesToLose(dbPath, dataDir);
      if (losing?.lost.length && !opts.quiet) {
        err.write(`warning: ${basename(dbPath)} has ${losing.before} sources; ${dataDir} lacks ${losing.lost.length} of them, which the new build will not have: ${losing.lost.join(', ')}\n`);
      }
      const stale = removeStaleTempFiles(dbPath);
      const summary = await buildKnowledgeBase({ dataDir, dbPath, limits: config.limits, quiet: opts.quiet || json, full: opts.full, jobs, beforeRename: refuseEmpty(dataDir) });
      if (json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      if (opts.quiet) return;
      if (stale.length) err.write(`Removed ${stale.length} temporary file(s) left by interrupted builds: ${stale.join(', ')}\n`);
      if (Object.keys(config.set).length) {
        err.write(`Limits from ${config.file}: ${Object.entries(config.set).map(([k, v]) => `${k}=${v}`).join(', ')}\n`);
      }
      const cacheLine = parseCacheLine(summary.cache);
      if (cacheLine) err.write(`${cacheLine}\n`);
      err.write(`Built ${summary.dbPath} from ${summary.dataDir} in ${summary.seconds.toFixed(1)} s\n`);
      err.write(`ATT&CK ${summary.attackVersion}: ${summary.techniques} active techniques and sub-techniques\n`);
      const loaded = summary.sources.filter((s) => s.loaded);
      const w = Math.max(...loaded.map((s) => s.name.length), 6);
      err.write(`${'source'.padEnd(w)}  resources  mappings  techniques  deprecated  unknown ids  warnings\n`);
      for (const s of loaded) {
        err.write(`${s.name.padEnd(w)}  ${String(s.resources).padStart(9)}  ${String(s.mappings).padStart(8)}  ${String(s.techniques).padStart(10)}  ${String(s.deprecated).padStart(10)}  ${String(s.unknownIds).padStart(11)}  ${String(s.warnings).padStart(8)}\n`);
      }
      if (summary.skipped.length) err.write(`Not in the data folder (skipped): ${summary.skipped.join(', ')}\n`);
      const hint = newerSourcesHint(summary.dbPath, loaded.filter((s) => s.unknownIds).map((s) => s.name));
      if (hint) err.write(`${hint}\n`);
      err.write(`${summary.warnings} warnings: \`purplebook stats\` summarizes them, \`purplebook warnings\` lists them\n`);
    });
}
