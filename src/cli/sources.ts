import type { Command } from 'commander';
import { kindText, sourceCatalog, type CatalogEntry } from '../kb/catalog.js';
import { dbOption, formatOf, openKb, out, withFormatOptions } from './common.js';
import { defaultDbPath } from '../util/paths.js';
import { existsSync } from 'node:fs';

/** One line's state: counts and provenance when loaded, otherwise why not and where to get it. */
function stateText(s: CatalogEntry): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  switch (s.state) {
    case 'loaded':
      return `loaded: ${plural(s.resources, 'resource')}, ${plural(s.mappings, 'mapping')}, ${plural(s.techniques, 'technique')}, `
        + `${s.attackVersions.length ? `mapped to ATT&CK v${s.attackVersions.join(', v')}, ` : ''}`
        + `commit ${(s.commit ?? '-').slice(0, 8)}, accessed ${s.accessed ?? '-'}, ${plural(s.warnings, 'warning')}`;
    case 'absent':
      return `not in the data: ${s.why ?? 'its folder is missing'}`;
    case 'unavailable':
      return `${s.why ?? 'not available offline'} (${s.homepage})`;
    case 'not built':
      return 'not built (run `purplebook build`)';
  }
}

export function registerSources(program: Command): void {
  withFormatOptions(program
    .command('sources')
    .description('the source catalog: every source Purplebook knows, by pillar, with its state in the knowledge base'), ['text', 'json'], 'text')
    .addOption(dbOption())
    .action(async (opts: { format?: string; json?: boolean; db?: string }) => {
      const format = formatOf(opts, ['text', 'json'], 'text');
      // The catalog is useful before the first build too: then every source reads "not built".
      const kb = existsSync(defaultDbPath(opts.db)) ? openKb(opts.db) : undefined;
      try {
        const catalog = sourceCatalog(kb);
        if (format === 'json') return await out(`${JSON.stringify(catalog, null, 2)}\n`);
        const lines: string[] = [];
        for (const pillar of ['policy', 'detection', 'test'] as const) {
          lines.push(`## ${pillar === 'policy' ? 'Policy / Process Controls' : pillar === 'detection' ? 'Technical Controls (Detection Rules)' : 'Offensive Security Tests'}`);
          for (const s of catalog.filter((c) => c.pillar === pillar)) {
            lines.push(`${s.name.padEnd(30)} ${s.title} — ${stateText(s)}`);
            if (s.detectionKind) lines.push(`${''.padEnd(30)} kind: ${kindText(s)}`);
          }
          lines.push('');
        }
        return await out(lines.join('\n'));
      } finally {
        kb?.close();
      }
    });
}
