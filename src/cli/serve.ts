import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadStacks } from '../kb/stack.js';
import { defaultAllowedHosts } from '../server/hosts.js';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from '../server/limits.js';
import type { WriteToken } from '../server/results.js';
import { defaultResultsPath } from '../results/paths.js';
import { maxAgeOf, RESULTS_OPTION_HELP } from './results.js';
import { defaultDbPath } from '../util/paths.js';
import { createProgress } from '../util/progress.js';
import { checkDbPath, CliError, dbOption, EXIT_BAD_INPUT, EXIT_FAILURE } from './common.js';

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--port must be a number from 0 to 65535, got "${value}"`, EXIT_BAD_INPUT);
  return n;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `--limit maxBodyBytes=1048576`, repeatable; every limit of limits.ts, positive whole numbers only. */
function parseLimits(given: string[] = []): Partial<ServerLimits> {
  const out: Partial<ServerLimits> = {};
  for (const g of given) {
    const m = /^(\w+)=(\d+)$/.exec(g.trim());
    const known = Object.keys(DEFAULT_SERVER_LIMITS);
    if (!m || !known.includes(m[1]!)) throw new CliError(`--limit ${g}: expected NAME=NUMBER with NAME one of ${known.join(', ')}`, EXIT_BAD_INPUT);
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`--limit ${g}: the value must be a positive whole number`, EXIT_BAD_INPUT);
    out[m[1] as keyof ServerLimits] = n;
  }
  return out;
}

/** Resolves on the first SIGINT or SIGTERM. */
function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => () => resolve(signal);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the site, a JSON API and the coverage page from the knowledge base; reloads it when `build` replaces it')
    .option('--port <n>', 'port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to bind (use 0.0.0.0 to expose it beyond this machine)', '127.0.0.1')
    .addOption(dbOption())
    .option('--rules <path>', 'own rules (folder or file; repeatable) for coverage and plan requests that upload none; re-read when the knowledge base is reloaded', collect)
    .option('--allowed-host <name>', 'also answer requests addressed to this host name (repeatable; * = any). Default: localhost names and the --host address', collect)
    .option('--limit <name=value>', 'change a size, count or time limit (repeatable; see docs/security.md), e.g. maxBodyBytes=1048576', collect)
    .option('--results [file]', `technique pages show validation results; ${RESULTS_OPTION_HELP}`)
    .option('--token-file <file>', 'with --results: bearer tokens ("TOKEN" or "NAME TOKEN" per line) that may POST /api/results; without, the server stays read-only')
    .option('--max-age <days>', 'with --results: results older than this are stale (default 180)')
    .option('--log', 'log every request as a JSON line on stderr')
    .option('--quiet', 'print nothing but errors')
    .action(async (opts: {
      port: string; host: string; db?: string; rules?: string[]; allowedHost?: string[]; limit?: string[]; results?: string | boolean; tokenFile?: string;
      maxAge?: string; log?: boolean; quiet?: boolean;
    }) => {
      const port = parsePort(opts.port);
      const limits = parseLimits(opts.limit);
      if ((opts.tokenFile || opts.maxAge !== undefined) && !opts.results) throw new CliError('--token-file and --max-age go with --results', EXIT_BAD_INPUT);
      // The server's modules (fastify, sanitize-html, workers) load only for `serve`: every other command starts faster.
      const [{ createServer }, { readTokenFile }] = await Promise.all([import('../server/app.js'), import('../server/results.js')]);
      let tokens: WriteToken[] | undefined;
      if (opts.tokenFile) {
        const read = readTokenFile(opts.tokenFile);
        tokens = read.tokens;
        if (read.warning) process.stderr.write(`purplebook: warning: ${read.warning}\n`);
      }
      const resultsFile = opts.results ? defaultResultsPath(opts.results === true ? undefined : opts.results, opts.db) : undefined;
      const maxAgeDays = maxAgeOf(opts.maxAge);
      for (const p of opts.rules ?? []) if (!existsSync(p)) throw new CliError(`--rules ${p}: no such file or folder`, EXIT_BAD_INPUT);
      const dbPath = defaultDbPath(opts.db);
      const stacks = loadStacks().stacks;
      checkDbPath(dbPath);
      const say = (line: string) => {
        if (!opts.quiet) process.stderr.write(`${line}\n`);
      };
      // Opening the knowledge base and computing every technique's summary takes seconds: say so on a TTY.
      const progress = createProgress({ quiet: opts.quiet });
      progress.update(`Opening ${dbPath} and computing technique summaries…`);
      let app;
      try {
        app = createServer({
          dbPath, warm: true, logger: opts.log ? { level: 'info' } : false, rules: opts.rules, stacks,
          allowedHosts: [...defaultAllowedHosts(opts.host), ...(opts.allowedHost ?? [])], limits,
          results: resultsFile ? { file: resultsFile, tokens, maxAgeDays } : undefined,
          onRulesError: (e) => process.stderr.write(`purplebook: could not re-read --rules, still using the rules read before: ${e.message}\n`),
          onReload: (g) => say(`Reloaded ${dbPath} (built ${g.kb.meta('built_at') ?? '?'})`),
          onError: (e) => process.stderr.write(`purplebook: could not reopen ${dbPath}, still serving the previous build: ${e.message}\n`),
        });
      } finally {
        progress.done();
      }
      const stop = shutdownSignal();
      let address: string;
      try {
        address = await app.listen({ port, host: opts.host });
      } catch (e) {
        await app.close();
        throw new CliError(`cannot listen on ${opts.host}:${port}: ${(e as Error).message}`, EXIT_FAILURE);
      }
      const rules = app.purplebookRules;
      if (rules) say(`Own rules for coverage: ${rules.rules} rules in ${rules.files} files from ${opts.rules!.join(', ')}`);
      if (resultsFile) say(`Results from ${resultsFile}${tokens ? `; POST ${address}/api/results and /api/results/import accept ${tokens.length} token${tokens.length === 1 ? '' : 's'}` : ' (read-only: no --token-file)'}`);
      say(`Serving ${dbPath} at ${address}/ (API: ${address}/api/openapi.json). Ctrl-C stops.`);
      const signal = await stop;
      say(`${signal}: finishing requests in flight…`);
      await app.close();
    });
}
