import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { newerHint, newerIds } from '../crosswalk/newer.js';
import { releaseFromKb } from '../crosswalk/release.js';
import { buildKnowledgeBase } from '../kb/build.js';
import type { CacheReport } from '../kb/read-sources.js';
import { KnowledgeBase } from '../kb/open.js';
import { LimitsConfigError, loadBuildLimits } from '../kb/limits-config.js';
import { removeStaleTempFiles } from '../kb/temp-files.js';
import { defaultDataDir, defaultDbPath } from '../util/paths.js';
import { CliError, DB_OPTION_HELP, EXIT_BAD_INPUT } from './common.js';

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
  program
    .command('build')
    .description('build the knowledge base from a data folder (every source found there)')
    .option('--data <dir>', 'data folder (default: $PURPLEBOOK_DATA, else the synced cache, else ../shared/data of a checkout)')
    .option('--db <file>', DB_OPTION_HELP)
    .option('--config <file>', 'JSON settings whose "build": {"limits": {…}} sets maxFileBytes, maxBundleBytes, maxYamlAliases, maxDepth, maxTechniquesPerResource (default: $PURPLEBOOK_CONFIG, else ./purplebook.config.json when present)')
    .option('--full', 'read every file afresh, ignoring the parse cache kept beside the knowledge base')
    .option('--jobs <n>', 'worker threads reading the sources (default: the CPU count; 1 reads in one thread)')
    .option('--quiet', 'print nothing but errors')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { data?: string; db?: string; config?: string; full?: boolean; jobs?: string; quiet?: boolean; json?: boolean }) => {
      const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
      if (jobs !== undefined && (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 256)) {
        throw new CliError(`--jobs must be a whole number from 1 to 256, got ${JSON.stringify(opts.jobs)}`, EXIT_BAD_INPUT);
      }
      let config;
      try {
        config = loadBuildLimits(opts.config);
      } catch (e) {
        if (e instanceof LimitsConfigError) throw new CliError(e.message, EXIT_BAD_INPUT);
        throw e;
      }
      const dataDir = defaultDataDir(opts.data);
      if (!existsSync(dataDir)) throw new CliError(`data folder ${dataDir} does not exist (run \`purplebook sync\` or pass --data)`, EXIT_BAD_INPUT);
      const dbPath = defaultDbPath(opts.db);
      const stale = removeStaleTempFiles(dbPath);
      const summary = await buildKnowledgeBase({ dataDir, dbPath, limits: config.limits, quiet: opts.quiet || opts.json, full: opts.full, jobs });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      if (opts.quiet) return;
      const err = process.stderr;
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
