/** Coverage report → markdown (to read and print), CSV (one stable row per technique) or JSON. */
import { newerHint } from '../crosswalk/newer.js';
import type { CoverageReport, CoverageTechnique, SourceCount } from '../coverage/coverage.js';
import { csvRow } from './csv.js';
import { mdText, safeUrl } from './markdown.js';
import { count } from './words.js';

const pct = (n: number, total: number) => (total ? `${((100 * n) / total).toFixed(1)}%` : '–');
const counts = (list: SourceCount[]) => list.map((s) => `${s.source}:${s.count}`).join('; ');
const cell = (s: string) => mdText(s) || '–';
const link = (text: string, url: string | null | undefined) => {
  const u = safeUrl(url);
  return u ? `[${text}](${u})` : text;
};

export function coverageTitle(r: CoverageReport): string {
  const who = r.threats?.length ? r.threats.map((t) => (t.kind === 'list' ? t.name : `${t.name} (${t.id})`)).join(', ') : `all ${r.domain.replace('-attack', '')} techniques`;
  return `Own-rule coverage: ${who}`;
}

export const COVERAGE_CSV_COLUMNS = [
  'id', 'name', 'domain', 'tactics', 'parent', 'status', 'priority', 'own_rules', 'own_via_subtechniques', 'own_rule_files',
  'threats', 'threat_ids', 'policy_volume', 'detection_volume', 'adoptable_detections', 'test_volume', 'validation', 'control_sources', 'detection_sources', 'test_sources',
] as const;

/** With results, five more columns at the end (RESULTS_CSV_COLUMNS). */
export function renderCoverageCsv(r: CoverageReport): string {
  const extra = r.results ? RESULTS_CSV_COLUMNS : [];
  return csvRow([...COVERAGE_CSV_COLUMNS, ...extra]) + r.techniques.map((t) => csvRow([
    t.id, t.name, t.domain, t.tactics.join('; '), t.parent ?? '', t.status, t.priority ?? '', t.ownRules.length, t.ownViaSubtechniques,
    [...new Set(t.ownRules.map((x) => x.file))].join('; '), t.threats.length, t.threats.join('; '), t.policyVolume, t.detectionVolume,
    t.adoptableDetections, t.testVolume, t.validation, counts(t.controls), counts(t.detections), counts(t.tests),
    ...(r.results ? resultsCsvCells(t) : []),
  ])).join('');
}

export function renderCoverageJson(r: CoverageReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** Public detections per source; with a telemetry profile, the runnable ones and what the others need. */
function publicCell(t: CoverageTechnique): string {
  if (!t.telemetry) return cell(counts(t.detections));
  const x = t.telemetry;
  return `${x.runnable} runnable${x.blocked ? `; ${x.blocked} blocked, needs: ${mdText(x.needs.join('; '))}` : ''}`;
}

function telemetryLines(r: CoverageReport): string[] {
  if (!r.telemetry) return [];
  const x = r.telemetry;
  return [
    '## Telemetry', '',
    `Profile: ${x.profile.map((e) => `\`${e.replace(/`/g, "'")}\``).join(', ') || 'empty'}. Public detections count only the rules it can run: `
      + `${x.detectable} / ${r.summary.total} techniques have one (\`purplebook telemetry\` lists them).`, '',
    ...(x.next.length ? [`Next log sources to add: ${x.next.map((n) => `${mdText(n.label)} \`${n.profileEntry.replace(/`/g, "'")}\` (+${n.techniques} techniques, +${n.rules} rules)`).join(' · ')}`, ''] : []),
  ];
}

function ownCell(t: CoverageTechnique): string {
  if (t.ownRules.length) return String(t.ownRules.length);
  return t.ownViaSubtechniques ? `partial (${t.ownViaSubtechniques} on sub-techniques)` : '0';
}

function techniqueCell(t: CoverageTechnique): string {
  return `${link(t.id, t.url)} ${mdText(t.name)}`;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `a (3), b (1)`: how many of each, most first. */
function tally(values: string[]): string {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([v, c]) => `${mdText(v)} (${c})`).join(', ');
}

/**
 * The header's account of the rules and files read, which adds up: rules read = mapped +
 * without ATT&CK id + deprecated + ids that did not count; files = files with rules + skipped.
 */
export function ruleAccounting(r: CoverageReport): string[] {
  const x = r.rules;
  if (!x.files && !x.total) return ['No own rules read: every technique counts as a gap.'];
  const lines = [`**Own rules: ${x.total} read = ${x.mapped} mapped + ${x.unmapped.length} without ATT&CK id + ${x.deprecated} deprecated + `
    + `${x.idsNotCounted.length} whose ids did not count** (unknown to ATT&CK ${mdText(r.attackVersion)}, other domain or deprecated technique); `
    + `${x.inScope} of the mapped map to techniques of this report.`];
  const skipped = x.skipped.length ? ` + ${x.skipped.length} skipped: ${tally(x.skipped.map((f) => f.reason))}` : '';
  lines.push(`Files: ${x.files} read = ${x.files - x.skipped.length} with rules${skipped}.`);
  const notes: string[] = [];
  const layouts = Object.entries(x.layouts);
  if (layouts.length) notes.push(`ATT&CK mappings found in ${layouts.map(([k, n]) => `${mdText(k)} (${n})`).join(', ')}`);
  if (x.correlations.length) notes.push(`${plural(x.correlations.length, 'correlation rule')} count for the techniques of the rules they correlate`);
  if (x.parentsWithSubtechniques.length) {
    notes.push(`${plural(new Set(x.parentsWithSubtechniques.map((p) => p.rule)).size, 'rule names', 'rules name')} a parent technique with its sub-techniques: `
      + 'the parent counts as partial by them, not covered');
  }
  if (x.duplicateIds.length) notes.push(`${plural(x.duplicateIds.length, 'rule id is', 'rule ids are')} in more than one file: each file's rule counts`);
  if (notes.length) lines.push(`${notes.join('. ')}.`);
  return lines.flatMap((l) => [l, '']).slice(0, -1);
}

export function renderCoverageMarkdown(r: CoverageReport): string {
  const s = r.summary;
  const byId = new Map(r.techniques.map((t) => [t.id, t]));
  const tacticName = new Map(s.byTactic.map((t) => [t.shortname, t.name]));
  const tacticsOf = (t: CoverageTechnique) => t.tactics.map((x) => mdText(tacticName.get(x) ?? x)).join(', ');
  const out: string[] = [`# ${mdText(coverageTitle(r))}`, ''];
  out.push(`ATT&CK ${mdText(r.attackVersion)} (${r.domain}) · knowledge base built ${mdText(r.builtAt ?? 'unknown')}`, '');
  out.push(...ruleAccounting(r), '');
  const newer = newerHint('Own rules', r.rules.newerIds, r.attackVersion);
  if (newer) out.push(`> ${mdText(newer)}`, '');
  if (r.stack) out.push(`Public controls, rules and tests counted from the control stack only: ${mdText(r.stack.name ? `${r.stack.name} (${r.stack.sources.join(', ')})` : r.stack.sources.join(', '))}`, '');
  if (r.threats?.length) {
    out.push('Threats: ' + r.threats.map((t) => `${link(mdText(`${t.name}${t.kind === 'list' ? '' : ` (${t.id})`}`), t.url)} — ${count(t.techniques, 'technique')}`).join(' · '), '');
  }
  if (r.excluded.length) out.push(`Left out: ${r.excluded.map((e) => `${e.id} (${mdText(e.reason)})`).join(', ')}`, '');

  out.push('## Summary', '');
  out.push(`**${s.covered} / ${s.total} techniques covered by own rules (${pct(s.covered, s.total)})** · ${s.partial} partially `
    + '(own rules on some sub-techniques only) · ' + `${s.gaps} without an own rule on the technique itself`, '');
  out.push(...table(['Tactic', 'Covered', 'Partial', 'Total', '%'],
    s.byTactic.map((t) => [mdText(`${t.name} (${t.id})`), String(t.covered), String(t.partial), String(t.total), pct(t.covered, t.total)])), '');
  out.push(...resultsSummaryMarkdown(r));

  if (r.baseline) {
    const b = r.baseline;
    out.push('## Against the baseline', '');
    out.push(`Baseline: ${count(b.covered, 'covered technique')} in scope (${b.ignored} outside it ignored). Now: ${s.covered}.`, '');
    if (b.carried.length) {
      const carried = b.carried.map((c) => `${c.from} → ${c.to.join(', ') || 'no counterpart'}`).join(', ');
      out.push(`Baseline ids carried to ATT&CK ${mdText(r.attackVersion)} (\`purplebook translate\` explains each): ${carried}`, '');
    }
    out.push(`**Gained (${b.gained.length}):** ${b.gained.map((id) => `${id} ${mdText(byId.get(id)?.name ?? '')}`).join(', ') || 'none'}`, '');
    out.push(`**Lost (${b.lost.length}):** ${b.lost.map((id) => `${id} ${mdText(byId.get(id)?.name ?? '')}`).join(', ') || 'none'}`, '');
  }

  out.push(...telemetryLines(r));
  out.push(`## Gaps in priority order (${r.gaps.length})`, '');
  out.push('Used by more of the selected threats first, then techniques with public detection rules to adopt (ATT&CK detection strategies, which have no query, '
    + 'do not count), then with public tests to validate.', '');
  if (r.gaps.length) {
    out.push(...table(['#', 'Technique', 'Tactics', 'Threats', 'Own rules', 'Public detections', 'Public tests', 'Controls', 'Validation'],
      r.gaps.map((id) => byId.get(id)!).map((t) => [
        String(t.priority), techniqueCell(t), tacticsOf(t), String(t.threats.length), ownCell(t), publicCell(t), cell(counts(t.tests)),
        String(t.policyVolume), mdText(t.validation),
      ])), '');
  }

  const covered = r.techniques.filter((t) => t.status === 'covered');
  out.push(`## Covered (${covered.length})`, '');
  if (covered.length) {
    out.push(...table(['Technique', 'Tactics', 'Threats', 'Own rules', 'Public detections', 'Public tests'],
      covered.map((t) => [
        techniqueCell(t), tacticsOf(t), String(t.threats.length),
        mdText(t.ownRules.slice(0, 5).map((x) => x.title).join('; ') + (t.ownRules.length > 5 ? ` … (${t.ownRules.length})` : '')),
        cell(counts(t.detections)), cell(counts(t.tests)),
      ])), '');
  }

  if (r.rules.unmapped.length) {
    out.push(`## Own rules without an ATT&CK technique (${r.rules.unmapped.length})`, '');
    for (const u of r.rules.unmapped) out.push(`* ${mdText(u.file)} — ${mdText(u.title)}`);
    out.push('');
  }
  if (r.rules.idsNotCounted.length) {
    out.push(`## Own rules whose ATT&CK ids did not count (${r.rules.idsNotCounted.length})`, '');
    for (const u of r.rules.idsNotCounted) out.push(`* ${mdText(u.file)} — ${mdText(u.title)}`);
    out.push('');
  }
  if (r.rules.unknownIds.length) {
    out.push(`## Technique ids that did not count (${r.rules.unknownIds.length})`, '');
    for (const u of r.rules.unknownIds) out.push(`* ${mdText(u.file)}: ${mdText(u.raw)} — ${u.reason}`);
    out.push('');
  }
  if (r.rules.revoked.length) {
    out.push(`## Revoked ids carried to their replacement (${r.rules.revoked.length})`, '');
    for (const u of r.rules.revoked) out.push(`* ${mdText(u.file)}: ${mdText(u.raw)} → ${u.ids.join(', ') || 'nothing'}`);
    out.push('');
  }
  if (r.rules.parentsWithSubtechniques.length) {
    out.push(`## Parent techniques named with their sub-techniques: partial, not covered (${r.rules.parentsWithSubtechniques.length})`, '');
    for (const p of r.rules.parentsWithSubtechniques) out.push(`* ${mdText(p.file)}: ${p.parent} with ${p.subtechniques.join(', ')}`);
    out.push('');
  }
  if (r.rules.correlations.length) {
    out.push(`## Correlation rules counted for the rules they correlate (${r.rules.correlations.length})`, '');
    for (const c of r.rules.correlations) out.push(`* ${mdText(c.file)} — ${mdText(c.title)}: techniques of ${c.from.map(mdText).join(', ')}`);
    out.push('');
  }
  if (r.rules.skipped.length) {
    out.push(`## Files skipped (${r.rules.skipped.length})`, '');
    for (const f of r.rules.skipped) out.push(`* ${mdText(f.file)}: ${mdText(f.reason)}${f.detail ? ` — ${mdText(f.detail)}` : ''}`);
    out.push('');
  }
  if (r.rules.warnings.length) {
    out.push(`## Rule-file warnings (${r.rules.warnings.length})`, '');
    for (const w of r.rules.warnings) out.push(`* ${mdText(w.file)}: ${mdText(w.reason)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The coverage report's lines about results: the summary line and the validated techniques. */
function resultsSummaryMarkdown(report: CoverageReport): string[] {
  const r = report.results;
  if (!r) return [];
  const total = report.summary.total;
  const pct = total ? ` (${((100 * r.validated) / total).toFixed(1)}%)` : '';
  const how = r.alerts === 'own' ? 'prevented, or alerted by one of the own rules given' : 'prevented, or alerted naming its rule (give --rules to count only own rules)';
  const ids = report.techniques.filter((t) => t.results?.validated).map((t) => `${t.id} ${mdText(t.name)}`);
  return [
    `**${r.validated} / ${total} techniques validated${pct}** (a test ran within ${r.maxAgeDays} days and was ${how}) · ${r.tested} tested · `
      + `${r.stale} with stale results only · results from ${mdText(r.file)}`, '',
    ...(ids.length ? [`Validated: ${ids.join(', ')}`, ''] : []),
  ];
}

const RESULTS_CSV_COLUMNS = ['result_best', 'result_executions', 'result_last_run', 'result_stale', 'validated'] as const;

function resultsCsvCells(t: CoverageReport['techniques'][number]): (string | number)[] {
  const r = t.results;
  return r ? [r.best ?? '', r.executions, r.lastRun ?? '', r.stale ? 'yes' : 'no', r.validated ? 'yes' : 'no'] : ['', 0, '', '', 'no'];
}
