#!/usr/bin/env node
/** purplebook: for every ATT&CK technique, what stops it, what detects it, and how to test it. */
import { Command, CommanderError } from 'commander';
import { registerBuild } from './build.js';
import { EXIT_BAD_INPUT, EXIT_FAILURE, PurplebookError } from '../core/errors.js';
import { PURPLEBOOK_VERSION } from '../util/version.js';
import { systemErrorLine } from './common.js';
import { registerCoverage } from './coverage.js';
import { registerExport } from './export.js';
import { registerGaps } from './gaps.js';
import { registerLayer } from './layer.js';
import { registerMcp } from './mcp.js';
import { registerLineup } from './lineup.js';
import { registerLogSources } from './logsources.js';
import { registerPlan } from './plan.js';
import { registerResults } from './results.js';
import { registerSearch } from './search.js';
import { registerServe } from './serve.js';
import { registerShow } from './show.js';
import { registerSite } from './site.js';
import { registerSources } from './sources.js';
import { registerStats } from './stats.js';
import { registerSyncCommands } from './sync.js';
import { registerTelemetry } from './telemetry.js';
import { registerThreats } from './threats.js';
import { registerTranslate } from './translate.js';

export function createProgram(): Command {
  const program = new Command();
  program
    .name('purplebook')
    .description('For every MITRE ATT&CK technique: what stops it, what detects it, and how to test it.')
    .version(PURPLEBOOK_VERSION)
    .configureOutput({ outputError: (text, write) => write(oneLineError(text)) })
    .showHelpAfterError('(run `purplebook --help` for the commands)')
    .exitOverride();
  registerBuild(program);
  registerShow(program);
  registerSearch(program);
  registerStats(program);
  registerExport(program);
  registerGaps(program);
  registerSources(program);
  registerThreats(program);
  registerCoverage(program);
  registerLayer(program);
  registerPlan(program);
  registerResults(program);
  registerTranslate(program);
  registerLineup(program);
  registerLogSources(program);
  registerTelemetry(program);
  registerSyncCommands(program);
  registerSite(program);
  registerServe(program);
  registerMcp(program);
  // A mistyped option deserves one line and where to look, not the whole help.
  for (const c of program.commands) c.showHelpAfterError(`(run \`purplebook ${c.name()} --help\` for its options)`);
  return program;
}

/** Commander's "error: unknown option '--jsn'\n(Did you mean --json?)" as one line. */
function oneLineError(text: string): string {
  const line = text.trim().replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').replace(/\(Did you mean/, '(did you mean');
  return `purplebook: ${line}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; everything commander rejects is bad input.
      return e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    // The one place a user-facing error becomes a line on stderr and an exit status.
    if (e instanceof PurplebookError) {
      process.stderr.write(`purplebook: ${e.message}\n`);
      return e.exitCode;
    }
    const system = systemErrorLine(e);
    if (system) {
      process.stderr.write(`purplebook: ${system}\n`);
      return EXIT_FAILURE;
    }
    process.stderr.write(`purplebook: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_FAILURE;
  }
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `purplebook export | head` closes the pipe early: that is not a failure.
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// main() turns every error into an exit code itself, so the promise never rejects.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
