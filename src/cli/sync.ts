import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ALL_SOURCES } from '../sources/registry.js';
import { loadSyncConfig, SyncInputError } from '../sync/config.js';
import { dataStatus, formatStatus } from '../sync/status.js';
import { syncSources, type SyncReport } from '../sync/sync.js';
import { defaultDataDir, syncedDataDir } from '../util/paths.js';
import { createProgress } from '../util/progress.js';
import { CliError, EXIT_BAD_INPUT, EXIT_FAILURE, out } from './common.js';

interface SyncCliOptions {
  source?: string[];
  ref?: string[];
  attackVersion?: string;
  dir?: string;
  offline?: boolean;
  quiet?: boolean;
  update?: boolean;
  mirror?: string;
  config?: string;
  lock?: string | false;
  json?: boolean;
}

function parseRefs(list: readonly string[] = []): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new CliError(`--ref must be NAME=REF, got "${item}"`, EXIT_BAD_INPUT);
    refs[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return refs;
}

async function runSync(opts: SyncCliOptions): Promise<void> {
  const { config } = loadSyncConfig(opts.config);
  const dir = resolve(opts.dir ?? config.dir ?? syncedDataDir());
  const progress = createProgress({ quiet: opts.quiet || opts.json });
  const report: SyncReport = await syncSources({
    dir, sources: ALL_SOURCES, select: opts.source, refs: parseRefs(opts.ref), attackVersion: opts.attackVersion,
    offline: opts.offline, update: opts.update, mirror: opts.mirror, config,
    lockFile: typeof opts.lock === 'string' ? opts.lock : undefined, noLock: opts.lock === false,
    progress,
    onResult(r) {
      if (r.status === 'failed') process.stderr.write(`purplebook: ${r.message}\n`);
      else progress.log(r.message);
    },
  });
  progress.done();
  if (opts.json) await out(`${JSON.stringify(report, null, 2)}\n`);
  else if (!opts.quiet) {
    if (opts.source === undefined) for (const s of report.skipped) progress.log(`${s.name}: skipped (${s.reason})`);
    if (!opts.offline && report.lockFile && report.results.some((r) => r.status === 'synced')) progress.log(`lock: ${report.lockFile}`);
  }
  if (report.failed) throw new CliError(`${report.failed} of ${report.results.length} sources failed to sync`, EXIT_FAILURE);
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync')
    .description('download the upstream data (only the files each source needs) into the data folder, pinned by a lock file')
    .option('--source <name...>', 'sync only these sources (source name, data folder, or "attack")')
    .option('--ref <name=ref...>', 'branch, tag or commit for a source (moves its pin)')
    .option('--attack-version <x.y>', 'ATT&CK release to fetch (default: latest, or the pinned one)')
    .option('--dir <dir>', 'data folder to write (default: the config\'s "dir", else ~/.local/share/purplebook/data)')
    .option('--offline', 'download nothing: report which sources are present and how old')
    .option('--update', 'move every pin in the lock to the newest commit of its branch')
    .option('--mirror <url>', 'base URL replacing https://github.com (archives) and https://raw.githubusercontent.com (as <url>/raw) (default: $PURPLEBOOK_MIRROR)')
    .option('--config <file>', 'JSON settings (default: $PURPLEBOOK_CONFIG, else ./purplebook.config.json when present)')
    .option('--lock <file>', 'lock file (default: purplebook.lock.json beside the data folder)')
    .option('--no-lock', 'neither read nor write a lock file')
    .option('--quiet', 'print nothing but errors')
    .option('--json', 'print the report as JSON')
    .action(async (opts: SyncCliOptions) => {
      try {
        await runSync(opts);
      } catch (e) {
        if (e instanceof SyncInputError) throw new CliError(e.message, EXIT_BAD_INPUT);
        throw e;
      }
    });

  program
    .command('status')
    .description('show each source in the data folder: commit, accessed date and age (warns past 30 days)')
    .option('--dir <dir>', 'data folder (default: $PURPLEBOOK_DATA, else the synced cache, else ../shared/data of a checkout)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dir?: string; json?: boolean }) => {
      const status = dataStatus(defaultDataDir(opts.dir));
      if (opts.json) await out(`${JSON.stringify(status, null, 2)}\n`);
      else await out(formatStatus(status));
      if (!status.exists) throw new CliError(`no data folder at ${status.dir}`, EXIT_FAILURE);
    });
}
