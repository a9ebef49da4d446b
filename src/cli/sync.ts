import type { Command } from 'commander';
import { resolve } from 'node:path';
import { ALL_SOURCES } from '../sources/registry.js';
import { loadSyncConfig } from '../sync/config.js';
import { dataStatus, formatStatus } from '../sync/status.js';
import { syncSources, type SyncReport } from '../sync/sync.js';
import { chooseDataDir } from './data-dir.js';
import { createProgress } from '../util/progress.js';
import { CliError, EXIT_BAD_INPUT, EXIT_FAILURE, formatOf, out, withFormatOptions } from './common.js';

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
  const choice = chooseDataDir({ explicit: opts.dir, configDir: config.dir, readOnly: !!opts.offline });
  const dir = resolve(choice.dir);
  const progress = createProgress({ quiet: opts.quiet || opts.json });
  if (!opts.json) progress.log(`data folder: ${dir} (${choice.why})`);
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
  withFormatOptions(program
    .command('sync')
    .description('download the upstream data (only the files each source needs) into the data folder, pinned by a lock file'), ['text', 'json'], 'text')
    .option('--source <name...>', 'sync only these sources (source name, data folder, or "attack")')
    .option('--ref <name=ref...>', 'branch, tag or commit for a source (moves its pin)')
    .option('--attack-version <x.y>', 'ATT&CK release to fetch (default: latest, or the pinned one)')
    .option('--dir <dir>', 'data folder (default: the config\'s "dir", else $PURPLEBOOK_DATA, else ~/.local/share/purplebook/data; '
      + 'with --offline, like `status`, the checkout\'s ../shared/data when nothing was synced)')
    .option('--offline', 'download nothing: report which sources are present and how old')
    .option('--update', 'move every pin in the lock to the newest commit of its branch')
    .option('--mirror <url>', 'base URL replacing https://github.com (archives) and https://raw.githubusercontent.com (as <url>/raw) (default: $PURPLEBOOK_MIRROR)')
    .option('--config <file>', 'JSON settings (default: $PURPLEBOOK_CONFIG, else ./purplebook.config.json when present)')
    .option('--lock <file>', 'lock file (default: purplebook.lock.json beside the data folder)')
    .option('--no-lock', 'neither read nor write a lock file')
    .option('--quiet', 'print nothing but errors')
    .action(async (opts: SyncCliOptions & { format?: string }) => {
      await runSync({ ...opts, json: formatOf(opts, ['text', 'json'], 'text') === 'json' });
    });

  withFormatOptions(program
    .command('status')
    .description('show each source in the data folder: commit, accessed date and age (warns past 30 days)'), ['text', 'json'], 'text')
    .option('--dir <dir>', 'data folder (default: the config\'s "dir", else $PURPLEBOOK_DATA, else the synced cache, else the checkout\'s ../shared/data)')
    .option('--config <file>', 'JSON settings (default: $PURPLEBOOK_CONFIG, else ./purplebook.config.json when present)')
    .action(async (opts: { dir?: string; config?: string; format?: string; json?: boolean }) => {
      const json = formatOf(opts, ['text', 'json'], 'text') === 'json';
      const configDir = loadSyncConfig(opts.config).config.dir;
      const choice = chooseDataDir({ explicit: opts.dir, configDir, readOnly: true });
      const status = dataStatus(choice.dir);
      if (json) await out(`${JSON.stringify({ ...status, chosenBy: choice.why }, null, 2)}\n`);
      // A missing folder is said once, as the error.
      if (!status.exists) throw new CliError(`no data folder at ${status.dir} (${choice.why}): run \`purplebook sync\` or pass --dir`, EXIT_FAILURE);
      if (!json) await out(formatStatus(status).replace(/^data folder: (.*)$/m, (line) => `${line} (${choice.why})`));
    });
}
