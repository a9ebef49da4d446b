import type { Command } from 'commander';
import { computeStats } from '../kb/stats.js';
import type { KnowledgeBase } from '../kb/open.js';
import { stackLabel, type Stack } from '../kb/stack.js';
import { classCountsByDomain } from '../page/iterate.js';
import { closeValues } from '../page/suggest.js';
import { VALIDATION_CLASSES } from '../page/validation.js';
import { dbOption, formatOf, out, unknownValue, withFormatOptions, withKb } from './common.js';
import { stackOf, withStackOption } from './stack.js';

const FORMATS = ['text', 'json'] as const;

/** Sources that record warnings: every source of the catalog, plus the build's own steps. */
function warningSources(kb: KnowledgeBase): string[] {
  return [...new Set(['attack', 'manifest', 'adversaries', ...kb.sources().map((s) => s.name), ...kb.warnings().map((w) => w.source)])].sort();
}

/** What `stats --json` prints (shared with the MCP stats resource). */
export function statsJson(kb: KnowledgeBase, stack?: Stack) {
  // Active techniques (and sub-techniques) per validation class: executable rules make a technique detectable.
  const validation = classCountsByDomain(kb, { stack });
  return { ...computeStats(kb), validation, ...(stack ? { stack: { name: stack.name, sources: stack.sources } } : {}) };
}

export function registerStats(program: Command): void {
  withStackOption(withFormatOptions(program
    .command('stats')
    .description('ATT&CK version and counts per domain (with the techniques of each validation class); per source: version, accessed date, resources, mappings, coverage, warnings'), FORMATS, 'text'))
    .addOption(dbOption())
    .action(async (opts: { format?: string; json?: boolean; db?: string; stack?: string[] }) => {
      const format = formatOf(opts, FORMATS, 'text');
      await withKb(opts.db, async (kb) => {
        const stack = stackOf(kb, opts.stack);
        const stats = statsJson(kb, stack);
        const validation = stats.validation;
        if (format === 'json') return out(`${JSON.stringify(stats, null, 2)}\n`);
        const lines = [`ATT&CK ${stats.attack.version} (version from ${stats.attack.versionSource})`];
        for (const [d, s] of Object.entries(stats.attack.domains)) {
          lines.push(`  ${d.padEnd(18)} ${s.techniques} techniques, ${s.subtechniques} sub-techniques active; ${s.revoked} revoked, ${s.deprecated} deprecated`);
          const classes = validation[d];
          if (classes) lines.push(`  ${''.padEnd(18)} validation: ${VALIDATION_CLASSES.map((c) => `${classes[c]} ${c}`).join(' · ')}`);
        }
        if (stack) lines.push(`  (validation classes for the control stack ${stackLabel(stack)})`);
        lines.push('', 'source                          pillar     commit    accessed    resources  mappings  techniques  unknown  warnings');
        for (const s of stats.sources) {
          if (!s.loaded) {
            lines.push(`${s.name.padEnd(31)} ${s.pillar.padEnd(10)} (not loaded)`);
            continue;
          }
          lines.push(`${s.name.padEnd(31)} ${s.pillar.padEnd(10)} ${(s.commit ?? '-').slice(0, 8).padEnd(9)} ${(s.accessed ?? '-').padEnd(11)} ${String(s.resources).padStart(9)}  ${String(s.mappings).padStart(8)}  ${String(s.techniques).padStart(10)}  ${String(s.unknownIds).padStart(7)}  ${String(s.warnings).padStart(8)}`);
        }
        for (const s of stats.sources.filter((x) => x.hint)) lines.push(`note: ${s.name}: ${s.hint}: ${s.unknownIdList.join(', ')}`);
        lines.push(`${stats.warnings.total} warnings in all (\`purplebook warnings\` lists them)`);
        return out(`${lines.join('\n')}\n`);
      });
    });

  withFormatOptions(program
    .command('warnings')
    .description('list every warning recorded by the last build (file and reason)'), FORMATS, 'text')
    .option('--source <name>', 'only this source (a source name, or attack, manifest, adversaries)')
    .addOption(dbOption())
    .action(async (opts: { source?: string; format?: string; json?: boolean; db?: string }) => {
      const format = formatOf(opts, FORMATS, 'text');
      await withKb(opts.db, async (kb) => {
        const source = opts.source?.trim().toLowerCase();
        if (source !== undefined) {
          const valid = warningSources(kb);
          if (!valid.includes(source)) throw unknownValue('--source', opts.source!, valid, closeValues(opts.source!, valid));
        }
        const list = kb.warnings().filter((w) => !source || w.source === source);
        if (format === 'json') return out(`${JSON.stringify(list, null, 2)}\n`);
        return out(list.map((w) => `${w.source}\t${w.file}\t${w.reason}`).join('\n') + (list.length ? '\n' : ''));
      });
    });
}
