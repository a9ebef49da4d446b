import type { Command } from 'commander';
import { sourceCatalog } from '../kb/catalog.js';
import { DB_OPTION_HELP, openKb, out } from './common.js';
import { defaultDbPath } from '../util/paths.js';
import { existsSync } from 'node:fs';

export function registerSources(program: Command): void {
  program
    .command('sources')
    .description('the source catalog: every source Purplebook knows, by pillar, with its state in the knowledge base')
    .option('--json', 'machine-readable output')
    .option('--db <file>', DB_OPTION_HELP)
    .action(async (opts: { json?: boolean; db?: string }) => {
      // The catalog is useful before the first build too: then every source reads "not built".
      const kb = existsSync(defaultDbPath(opts.db)) ? openKb(opts.db) : undefined;
      try {
        const catalog = sourceCatalog(kb);
        if (opts.json) return await out(`${JSON.stringify(catalog, null, 2)}\n`);
        const lines: string[] = [];
        for (const pillar of ['policy', 'detection', 'test'] as const) {
          lines.push(`## ${pillar === 'policy' ? 'Policy / Process Controls' : pillar === 'detection' ? 'Technical Controls (Detection Rules)' : 'Offensive Security Tests'}`);
          for (const s of catalog.filter((c) => c.pillar === pillar)) {
            const state = s.state === 'loaded'
              ? `loaded: ${s.resources} resources, ${s.mappings} mappings, ${s.techniques} techniques, commit ${(s.commit ?? '-').slice(0, 8)}, accessed ${s.accessed ?? '-'}, ${s.warnings} warnings`
              : s.state === 'unavailable' ? s.why ?? 'unavailable' : s.state;
            lines.push(`${s.name.padEnd(30)} ${s.title} — ${state}`);
          }
          lines.push('');
        }
        return await out(lines.join('\n'));
      } finally {
        kb?.close();
      }
    });
}
