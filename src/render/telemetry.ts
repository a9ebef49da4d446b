/** Telemetry reports → markdown, JSON, CSV or a Navigator layer; the log-source inventory → markdown or JSON. */
import type { Domain } from '../attack/types.js';
import type { TelemetryAnalysis } from '../telemetry/analysis.js';
import type { SourceInventory, UnmappedName } from '../telemetry/inventory.js';
import { csvRow } from './csv.js';
import { buildLayer, type NavigatorLayer } from './layer.js';
import { mdText, safeUrl } from './markdown.js';
import { count } from './words.js';

/** Lines of rules listed per technique in markdown; the JSON has them all. */
const LIST_MAX = 10;

export interface TelemetryReportHead {
  title: string;
  domain: Domain;
  attackVersion: string;
  stack?: string;
}

/** A code span: its text is literal in markdown, so only backticks need keeping out. */
const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|')}\``;
const pct = (n: number, total: number) => (total ? `${((100 * n) / total).toFixed(1)}%` : '–');
const ruleLink = (r: { title: string; url: string | null; source: string }) => {
  const u = safeUrl(r.url);
  return `${u ? `[${mdText(r.title)}](${u})` : mdText(r.title)} (${mdText(r.source)})`;
};

export function renderTelemetryJson(head: TelemetryReportHead, a: TelemetryAnalysis): string {
  return `${JSON.stringify({ ...head, ...a }, null, 2)}\n`;
}

export function renderTelemetryMarkdown(head: TelemetryReportHead, a: TelemetryAnalysis, maxNext = 15): string {
  const s = a.summary;
  const lines = [
    `# ${mdText(head.title)}`, '',
    `ATT&CK ${mdText(head.attackVersion)}${head.stack ? ` · stack: ${mdText(head.stack)}` : ''} · profile: ${a.profile.entries.length ? a.profile.entries.map(code).join(', ') : 'empty'}`, '',
    `**${s.detectable} / ${s.techniques} techniques detectable with this telemetry** (${pct(s.detectable, s.techniques)}): at least one public executable rule can run.`,
    `Rules mapped to these techniques: ${s.rules} = ${s.runnable} runnable + ${s.blocked} blocked by missing telemetry + ${s.unknown} whose telemetry is unknown (the rule names no log source the vocabulary maps).`, '',
    '## Next log sources to add', '',
  ];
  if (!a.next.length) lines.push('No log source would make a blocked rule runnable.');
  else {
    lines.push('Each alone, added to the profile: techniques it makes detectable (not detectable today), then rules it makes runnable.', '');
    lines.push('| # | Log source | Profile entry | Techniques | Rules | Provides |', '| --- | --- | --- | --- | --- | --- |');
    for (const [i, n] of a.next.slice(0, maxNext).entries()) {
      lines.push(`| ${i + 1} | ${mdText(n.label)} | ${code(n.profileEntry)} | +${n.techniques} | +${n.rules} | ${mdText(n.provides.join(', ')) || '–'} |`);
    }
    if (a.next.length > maxNext) lines.push('', `${a.next.length - maxNext} more in --format json.`);
  }
  lines.push('', '## Techniques', '');
  for (const t of a.techniques) {
    lines.push(`### ${mdText(t.id)} ${mdText(t.name)}: ${t.detectable ? 'detectable' : 'not detectable'} with this telemetry`, '');
    lines.push(`${count(t.runnable.length, 'runnable rule')}, ${count(t.blocked.length, 'blocked rule')}, ${count(t.unknown.length, 'rule')} with unknown telemetry.`, '');
    for (const r of t.runnable.slice(0, LIST_MAX)) lines.push(`- runs: ${ruleLink(r)}`);
    if (t.runnable.length > LIST_MAX) lines.push(`- … ${t.runnable.length - LIST_MAX} more runnable`);
    for (const r of t.blocked.slice(0, LIST_MAX)) lines.push(`- needs ${mdText(r.needs.join(', or '))}: ${ruleLink(r)}`);
    if (t.blocked.length > LIST_MAX) lines.push(`- … ${t.blocked.length - LIST_MAX} more blocked`);
    if (t.runnable.length || t.blocked.length) lines.push('');
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

export const TELEMETRY_CSV_COLUMNS = ['id', 'name', 'detectable', 'runnable_rules', 'blocked_rules', 'unknown_rules', 'runnable', 'needs'] as const;

export function renderTelemetryCsv(a: TelemetryAnalysis): string {
  return csvRow([...TELEMETRY_CSV_COLUMNS]) + a.techniques.map((t) => csvRow([
    t.id, t.name, t.detectable ? 'yes' : 'no', t.runnable.length, t.blocked.length, t.unknown.length,
    t.runnable.map((r) => `${r.source}:${r.id ?? r.key}`).join('; '), [...new Set(t.blocked.flatMap((r) => r.needs))].join('; '),
  ])).join('');
}

const NONE = '#ffffff';
const SOME = '#66b1ff';
const BLOCKED = '#ffe766';

/** Score = runnable public rules on the technique; blocked-only techniques are yellow. */
export function telemetryLayer(head: TelemetryReportHead, a: TelemetryAnalysis): NavigatorLayer {
  const max = Math.max(1, ...a.techniques.map((t) => t.runnable.length));
  return buildLayer({
    domain: head.domain, attackVersion: head.attackVersion, name: `Purplebook: ${head.title}`,
    description: `Runnable public rules per technique with the profile ${a.profile.entries.join('; ') || '(empty)'}: ${a.summary.detectable} / ${a.summary.techniques} detectable.`,
    techniques: a.techniques.map((t) => ({
      techniqueID: t.id, score: t.runnable.length, enabled: true, showSubtechniques: false,
      ...(t.runnable.length ? {} : { color: t.blocked.length ? BLOCKED : NONE }),
      comment: `${t.runnable.length} runnable · ${t.blocked.length} blocked · ${t.unknown.length} unknown telemetry`,
      metadata: [
        { name: 'runnable rules', value: String(t.runnable.length) },
        ...t.runnable.slice(0, 10).map((r) => ({ name: 'rule', value: `${r.title} (${r.source})` })),
        ...[...new Set(t.blocked.flatMap((r) => r.needs))].slice(0, 10).map((n) => ({ name: 'needs', value: n })),
      ],
    })),
    gradient: { colors: [NONE, SOME], minValue: 0, maxValue: max },
    legendItems: [{ label: 'no runnable rule', color: NONE }, { label: 'blocked by missing telemetry only', color: BLOCKED }, { label: 'runnable rules', color: SOME }],
    metadata: [{ name: 'generator', value: 'purplebook' }, { name: 'measure', value: 'telemetry' }, { name: 'detectable', value: `${a.summary.detectable} / ${a.summary.techniques}` }],
  });
}

export function renderInventoryJson(inv: SourceInventory[], unmapped?: UnmappedName[]): string {
  return `${JSON.stringify(unmapped ? { unmapped } : { sources: inv }, null, 2)}\n`;
}

export function renderInventoryMarkdown(inv: SourceInventory[], maxRows = 40): string {
  const lines = ['# Rules per log source', '', 'Executable, non-deprecated public rules per log source as each upstream names it; `canonical` is the vocabulary\'s name for it (docs/telemetry.md).', ''];
  lines.push('| Source | Rules | Unknown telemetry | Why |', '| --- | --- | --- | --- |');
  for (const s of inv) lines.push(`| ${mdText(s.source)} | ${s.rules} | ${s.unknown.rules} (${pct(s.unknown.rules, s.rules)}) | ${mdText(s.why)} |`);
  for (const s of inv) {
    lines.push('', `## ${mdText(s.source)}: ${count(s.rules, 'rule')}, ${pct(s.unknown.rules, s.rules)} unknown`, '');
    if (!s.logSources.length) {
      lines.push('No log source stated.');
      continue;
    }
    lines.push('| Log source | Rules | Canonical |', '| --- | --- | --- |');
    for (const c of s.logSources.slice(0, maxRows)) lines.push(`| ${mdText(c.label)} | ${c.rules} | ${c.canonical === null ? '**unmapped**' : mdText(c.canonical)} |`);
    if (s.logSources.length > maxRows) lines.push('', `${s.logSources.length - maxRows} more in --format json.`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderUnmappedMarkdown(list: UnmappedName[]): string {
  if (!list.length) return 'Every log source named by a rule is in the vocabulary.\n';
  const lines = ['# Log sources the vocabulary does not map', '', 'Add them as aliases in src/telemetry/vocabulary.yaml (docs/telemetry.md).', '', '| Source | Log source | Rules |', '| --- | --- | --- |'];
  for (const u of list) lines.push(`| ${mdText(u.source)} | ${mdText(u.label)} | ${u.rules} |`);
  return `${lines.join('\n')}\n`;
}
