import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultDbPath } from '../util/paths.js';
import { CliError, dbOption, EXIT_BAD_INPUT } from './common.js';
import { collect } from './common.js';

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description('serve the knowledge base to AI assistants: a Model Context Protocol server on stdin/stdout (read-only; see docs/mcp.md)')
    .addOption(dbOption())
    .option('--rules <path>', 'own rules (folder or file; repeatable) for the coverage, plan and layer tools; clients cannot name other paths', collect)
    // TODO(telemetry, results): --profile FILE and --results FILE once those issues land.
    .action(async (opts: { db?: string; rules?: string[] }) => {
      for (const p of opts.rules ?? []) if (!existsSync(p)) throw new CliError(`--rules ${p}: no such file or folder`, EXIT_BAD_INPUT);
      const dbPath = defaultDbPath(opts.db);
      // stdout carries the protocol: anything for a person goes to stderr.
      const log = (line: string) => process.stderr.write(`purplebook mcp: ${line}\n`);
      // The MCP SDK loads only for `mcp`: every other command starts faster.
      const { serveStdio } = await import('../mcp/server.js');
      await serveStdio({ dbPath, rules: opts.rules ?? [], log });
    });
}
