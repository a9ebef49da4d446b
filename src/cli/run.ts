/**
 * The purplebook command line as a function: argv in, exit code out, output on process.stdout and
 * process.stderr. `main.ts` is the executable around it; the tests call it in process too.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_FAILURE, PurplebookError } from '../core/errors.js';
import { PURPLEBOOK_VERSION } from '../util/version.js';
import { systemErrorLine } from './common.js';

type Register = (program: Command) => void;

/**
 * Each command's module, in help order. A run loads only the module of the command it names:
 * `purplebook show` need not load the connectors, the parsers and the site generator (half the
 * start-up time of a command). Help, `--version` and a mistyped command load them all.
 */
const COMMANDS: readonly (readonly [names: readonly string[], load: () => Promise<Register>])[] = [
  [['build'], async () => (await import('./build.js')).registerBuild],
  [['show'], async () => (await import('./show.js')).registerShow],
  [['search'], async () => (await import('./search.js')).registerSearch],
  [['stats', 'warnings'], async () => (await import('./stats.js')).registerStats],
  [['export'], async () => (await import('./export.js')).registerExport],
  [['gaps'], async () => (await import('./gaps.js')).registerGaps],
  [['sources'], async () => (await import('./sources.js')).registerSources],
  [['threats'], async () => (await import('./threats.js')).registerThreats],
  [['coverage'], async () => (await import('./coverage.js')).registerCoverage],
  [['layer'], async () => (await import('./layer.js')).registerLayer],
  [['plan'], async () => (await import('./plan.js')).registerPlan],
  [['results'], async () => (await import('./results.js')).registerResults],
  [['translate'], async () => (await import('./translate.js')).registerTranslate],
  [['lineup'], async () => (await import('./lineup.js')).registerLineup],
  [['logsources'], async () => (await import('./logsources.js')).registerLogSources],
  [['telemetry'], async () => (await import('./telemetry.js')).registerTelemetry],
  [['sync', 'status'], async () => (await import('./sync.js')).registerSyncCommands],
  [['site'], async () => (await import('./site.js')).registerSite],
  [['serve'], async () => (await import('./serve.js')).registerServe],
  [['mcp'], async () => (await import('./mcp.js')).registerMcp],
];

/** The command a run names: the first argument, as commander reads it (no global option takes a value). */
export function commandsFor(args: readonly string[]): typeof COMMANDS {
  const named = COMMANDS.find(([names]) => names.includes(args[0] ?? ''));
  return named ? [named] : COMMANDS;
}

export async function createProgram(args: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('purplebook')
    .description('For every MITRE ATT&CK technique: what stops it, what detects it, and how to test it.')
    .version(PURPLEBOOK_VERSION)
    .configureOutput({ outputError: (text, write) => write(oneLineError(text)) })
    .showHelpAfterError('(run `purplebook --help` for the commands)')
    .exitOverride();
  const registers = await Promise.all(commandsFor(args).map(([, load]) => load()));
  for (const register of registers) register(program);
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
  try {
    const program = await createProgram(argv.slice(2));
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
