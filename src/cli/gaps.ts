import type { Command } from 'commander';
import type { Domain } from '../attack/types.js';
import type { KnowledgeBase } from '../kb/open.js';
import type { Stack } from '../kb/stack.js';
import { activePages } from '../page/iterate.js';
import type { PageSummary, ValidationClass } from '../page/types.js';
import { csvRow } from '../render/csv.js';
import { dbOption, domainOption, formatOf, out, parseDomain, unknownValue, withFormatOptions, withKb } from './common.js';
import { closeValues } from '../page/suggest.js';
import { stackOf, withStackOption } from './stack.js';

const FORMATS = ['text', 'json', 'csv'] as const;

export const GAP_PILLARS = ['detection', 'test'] as const;
export type GapPillar = (typeof GAP_PILLARS)[number];

/** Which validation classes are a gap for each pillar (detections: executable rules, see page/validation.ts). */
const GAP: Record<GapPillar, ValidationClass[]> = {
  detection: ['testable, no public detection', 'neither'],
  test: ['detectable, no public test', 'neither'],
};

export interface GapRow extends PageSummary {
  id: string;
  name: string;
  domain: Domain;
  tactics: string[];
}

/** The rows of `gaps --json` (shared with the MCP `gaps` tool): active techniques, optionally only one pillar's gaps. */
export function gapRows(kb: KnowledgeBase, opts: { pillar?: GapPillar; domain?: Domain; stack?: Stack }): GapRow[] {
  const rows: GapRow[] = [];
  for (const p of activePages(kb, { domain: opts.domain, stack: opts.stack })) {
    if (opts.pillar && !GAP[opts.pillar].includes(p.summary.validation)) continue;
    rows.push({ id: p.id, name: p.name, domain: p.domain, tactics: p.tactics, ...p.summary });
  }
  return rows;
}

export function registerGaps(program: Command): void {
  withStackOption(withFormatOptions(program
    .command('gaps')
    .description('techniques by validation class: where a purple team must write a detection or a test'), FORMATS, 'text', { csv: true }))
    .option('--pillar <pillar>', 'detection (no public detection) or test (no public test); default: every class')
    .addOption(domainOption())
    .addOption(dbOption())
    .action(async (opts: { pillar?: string; domain?: string; format?: string; json?: boolean; csv?: boolean; db?: string; stack?: string[] }) => {
      const format = formatOf(opts, FORMATS, 'text');
      const pillar = opts.pillar?.trim().toLowerCase();
      if (pillar !== undefined && !(GAP_PILLARS as readonly string[]).includes(pillar)) throw unknownValue('--pillar', opts.pillar!, [...GAP_PILLARS], closeValues(opts.pillar!, [...GAP_PILLARS]));
      const domain = parseDomain(opts.domain);
      await withKb(opts.db, async (kb) => {
        const rows = gapRows(kb, { pillar: pillar as GapPillar | undefined, domain, stack: stackOf(kb, opts.stack) });
        if (format === 'json') return out(`${JSON.stringify(rows, null, 2)}\n`);
        if (format === 'csv') {
          return out(csvRow(['id', 'name', 'domain', 'tactics', 'policy_volume', 'detection_volume', 'guidance_volume', 'test_volume', 'validation'])
            + rows.map((r) => csvRow([r.id, r.name, r.domain, r.tactics.join('; '), r.policy_volume, r.detection_volume, r.guidance_volume, r.test_volume, r.validation])).join(''));
        }
        const classes: ValidationClass[] = ['neither', 'detectable, no public test', 'testable, no public detection', 'testable and detectable'];
        const lines: string[] = [];
        for (const c of classes) {
          const list = rows.filter((r) => r.validation === c);
          if (!list.length) continue;
          lines.push(`## ${c} (${list.length})`);
          for (const r of list) {
            lines.push(`${r.id.padEnd(10)} ${r.name} — ${r.policy_volume} controls · ${r.detection_volume} detections · ${r.test_volume} tests`
              + (r.guidance_volume ? ` (${r.guidance_volume} guidance)` : ''));
          }
          lines.push('');
        }
        return out(lines.join('\n'));
      });
    });
}
