/** The crosswalk's change report: markdown for people, JSON for tools, a plain id list. */
import type { EntryChange } from '../crosswalk/layer.js';
import { translated, type Translation } from '../crosswalk/translate.js';
import { mdText } from './markdown.js';

export interface CrosswalkReport {
  /** "ATT&CK 18.1" (from --from), the layer's own version, or undefined when unknown. */
  from?: string;
  to: string;
  /** What was translated: a file name, "stdin", a rules folder. */
  input: string;
  translations: Translation[];
  /** Layer entries whose id or tactic changed (layers only). */
  entries?: EntryChange[];
  /** Own rules and the ids each carries (rules only). */
  rules?: { file: string; title: string; ids: string[] }[];
  warnings: string[];
}

export interface CrosswalkSummary {
  ids: number;
  unchanged: number;
  replaced: number;
  untranslated: number;
  /** Unknown ids numbered above the loaded release: a newer ATT&CK. */
  newer: number;
}

export function summarize(translations: readonly Translation[]): CrosswalkSummary {
  return {
    ids: translations.length,
    unchanged: translations.filter((t) => t.outcome === 'same').length,
    replaced: translations.filter((t) => t.outcome === 'replaced').length,
    untranslated: translations.filter((t) => !translated(t)).length,
    newer: translations.filter((t) => t.newer).length,
  };
}

export function summaryLine(r: CrosswalkReport): string {
  const s = summarize(r.translations);
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  return `${plural(s.ids, 'technique id')} from ${r.from ?? 'an earlier ATT&CK'} to ${r.to}: ${s.unchanged} unchanged, ${s.replaced} replaced, `
    + `${s.untranslated} could not be translated${s.newer ? ` (${s.newer} from a newer ATT&CK)` : ''}`;
}

/** The ids that could not be translated, one line each: what stderr shows beside a layer or a list. */
export function untranslatedLines(r: CrosswalkReport): string[] {
  return r.translations.filter((t) => !translated(t)).map((t) => `${t.id}: ${t.notes.join('; ')}`);
}

export function renderCrosswalkList(r: CrosswalkReport): string {
  const ids = [...new Set(r.translations.flatMap((t) => t.ids))];
  return ids.length ? `${ids.join('\n')}\n` : '';
}

/** The report as data: what `translate --format json` prints and the MCP `translate` tool answers. */
export function crosswalkJson(r: CrosswalkReport, layer?: unknown) {
  return {
    from: r.from ?? null, to: r.to, input: r.input, summary: summarize(r.translations),
    translations: r.translations.map((t) => ({ input: t.input, id: t.id, ids: t.ids, outcome: t.outcome, notes: t.notes, ...(t.newer ? { newer: true } : {}) })),
    ...(r.entries ? { entries: r.entries } : {}),
    ...(r.rules ? { rules: r.rules } : {}),
    warnings: r.warnings,
    ...(layer !== undefined ? { layer } : {}),
  };
}

export function renderCrosswalkJson(r: CrosswalkReport, layer?: unknown): string {
  return `${JSON.stringify(crosswalkJson(r, layer), null, 2)}\n`;
}

const cell = (s: string) => mdText(s);

export function renderCrosswalkMarkdown(r: CrosswalkReport): string {
  const out = [`# ATT&CK crosswalk: ${mdText(r.from ?? 'an earlier release')} → ${mdText(r.to)}`, '', `Input: ${mdText(r.input)}`, '', `${summaryLine(r)}.`, ''];
  for (const w of r.warnings) out.push(`> ${mdText(w)}`, '');
  const changed = r.translations.filter((t) => t.outcome !== 'same' || t.notes.length);
  if (changed.length) {
    out.push('## Changes', '', '| Old id | New id(s) | Why |', '|---|---|---|');
    for (const t of changed) out.push(`| ${cell(t.id)} | ${t.ids.length ? t.ids.join(', ') : '—'} | ${cell(t.notes.join('; '))} |`);
    out.push('');
  } else out.push('Every id stands unchanged.', '');
  const tacticMoves = (r.entries ?? []).filter((e) => e.to.some((x) => x.tactic !== e.from.tactic));
  if (tacticMoves.length) {
    out.push('## Layer entries under another tactic', '', '| Entry | Now |', '|---|---|');
    const entry = (x: { techniqueID: string; tactic?: string }) => `${x.techniqueID}${x.tactic ? ` under ${x.tactic}` : ' (all its tactics)'}`;
    for (const e of tacticMoves) out.push(`| ${cell(entry(e.from))} | ${cell(e.to.map(entry).join(', '))} |`);
    out.push('');
  }
  if (r.rules?.length) {
    const byId = new Map(r.translations.map((t) => [t.id, t]));
    const touched = r.rules.filter((rule) => rule.ids.some((id) => byId.get(id)?.outcome !== 'same'));
    if (touched.length) {
      out.push(`## Rules to retag (${touched.length})`, '', '| Rule | File | Tags now |', '|---|---|---|');
      for (const rule of touched) {
        const now = rule.ids.map((id) => {
          const t = byId.get(id);
          if (!t || t.outcome === 'same') return id;
          return t.ids.length ? `${id} → ${t.ids.join(', ')}` : `${id} (no counterpart)`;
        });
        out.push(`| ${cell(rule.title)} | ${cell(rule.file)} | ${cell(now.join('; '))} |`);
      }
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
