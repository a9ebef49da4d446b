/** Line-up → markdown (a table to read), CSV (one row per technique, a column per stack source) or JSON. */
import type { Lineup, LineupRow } from '../coverage/lineup.js';
import { VALIDATION_CLASSES } from '../page/validation.js';
import { csvRow } from './csv.js';
import { mdText, safeUrl } from './markdown.js';

const link = (text: string, url: string | null | undefined) => {
  const u = safeUrl(url);
  return u ? `[${text}](${u})` : text;
};

/** `APT29 (G0016), technique list` or `all enterprise techniques`. */
export function lineupScope(l: Lineup): string {
  if (!l.threats?.length) return `all ${l.domain.replace('-attack', '')} techniques`;
  return l.threats.map((t) => (t.kind === 'list' ? t.name : `${t.name} (${t.id})`)).join(', ');
}

export function lineupTitle(l: Lineup): string {
  const stack = l.stack ? ` — stack ${l.stack.name ?? l.stack.sources.join(', ')}` : '';
  return `Line-up: ${lineupScope(l)}${stack}`;
}

/** `sigma 12 · car 2 (1 guidance)`: a row's sources, for one table cell. */
export function bySourceText(r: LineupRow): string {
  return r.sources.map((s) => `${s.source} ${s.count}${s.guidance ? ` (${s.guidance} guidance)` : ''}`).join(' · ');
}

export function lineupTotalsText(l: Lineup): string {
  const t = l.totals;
  return `${t.techniques} techniques · ${t.controls} controls · ${t.rules} detection rules · ${t.tests} tests`
    + (t.guidance ? ` · ${t.guidance} guidance (not counted)` : '')
    + ` — ${VALIDATION_CLASSES.map((c) => `${t.classes[c]} ${c}`).join(' · ')}`;
}

export function renderLineupJson(l: Lineup): string {
  return `${JSON.stringify(l, null, 2)}\n`;
}

/** Tactic names of a row, in matrix order. */
export function tacticNamesOf(l: Lineup, r: LineupRow): string[] {
  const names = new Map(l.matrix.map((t) => [t.shortname, t.name]));
  return r.tactics.map((t) => names.get(t) ?? t);
}

export function renderLineupMarkdown(l: Lineup): string {
  const out = [`# ${mdText(lineupTitle(l))}`, ''];
  const filters = [
    `ATT&CK ${mdText(l.attackVersion)} (${l.domain})`,
    l.lowestLevel ? 'lowest level (sub-techniques where they exist)' : '',
    l.tactics.length ? `tactics: ${l.tactics.map((t) => mdText(t.name)).join(', ')}` : '',
    `knowledge base built ${mdText(l.builtAt ?? 'unknown')}`,
  ].filter(Boolean);
  out.push(filters.join(' · '), '');
  out.push(`> ${mdText(l.headline)}`, '');
  out.push(`**Totals:** ${mdText(lineupTotalsText(l))}`, '');
  if (l.stack) out.push(`**Control stack:** ${l.stack.name ? `${mdText(l.stack.name)}: ` : ''}${l.stack.sources.map(mdText).join(', ')}`, '');
  const score = l.scoresFrom !== null;
  const head = ['#', 'Technique', 'Tactics', ...(l.threats ? ['Threats'] : []), ...(score ? ['Score'] : []),
    'Controls', 'Rules', 'Tests', 'Total', 'Validation', 'By source'];
  out.push(`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`);
  for (const r of l.rows) {
    out.push(`| ${[
      String(r.rank), `${link(r.id, r.url)} ${mdText(r.name)}`, tacticNamesOf(l, r).map(mdText).join(', '),
      ...(l.threats ? [String(r.threats.length)] : []), ...(score ? [r.score === null ? '–' : String(r.score)] : []),
      String(r.controls), String(r.rules), String(r.tests), String(r.total), mdText(r.validation), mdText(bySourceText(r)) || '–',
    ].join(' | ')} |`);
  }
  if (!l.rows.length) out.push('', 'No technique matches: widen the tactic filter or the threat.');
  if (l.excluded.length) out.push('', `Left out: ${l.excluded.map((e) => `${e.id} (${mdText(e.reason)})`).join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** One row per technique: the totals, then a column per loaded source of the stack (its resources on the technique). */
export function renderLineupCsv(l: Lineup, sources: readonly string[]): string {
  const head = ['rank', 'id', 'name', 'tactics', 'threats', 'score', 'controls', 'rules', 'tests', 'total', 'guidance', 'validation', ...sources];
  return csvRow(head) + l.rows.map((r) => {
    const counts = new Map(r.sources.map((s) => [s.source, s.count]));
    return csvRow([r.rank, r.id, r.name, tacticNamesOf(l, r).join('; '), r.threats.join('; '), r.score ?? '', r.controls, r.rules, r.tests, r.total,
      r.guidance, r.validation, ...sources.map((s) => counts.get(s) ?? 0)]);
  }).join('');
}
