/**
 * Purple-team plan → markdown a team prints and works through (checkboxes), or JSON. The
 * markdown opens with one summary row per technique (what to run, what should fire, what to
 * check), then the checklists; Atomic tests in test-number order (buildPlan has already left out
 * controls that cannot apply to the chosen platforms, and says how many).
 */
import type { Plan, PlanControl, PlanTechnique, PlanTest } from '../coverage/plan.js';
import { mdText, safeUrl } from './markdown.js';
import { count, listOr } from './words.js';

const link = (text: string, url: string | null | undefined) => {
  const u = safeUrl(url);
  return u ? `[${text}](${u})` : text;
};
const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/\s+/g, " ")}\``;
/** The link already carries a UUID; printing it again made a third of the plan. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const shownId = (id: string | null | undefined) => (id && !UUID.test(id) ? id : null);

export function renderPlanJson(p: Plan): string {
  return `${JSON.stringify(p, null, 2)}\n`;
}

/** Atomic's `T1059.001-3` → 3, for ordering tests as operators number them. */
function testNumber(t: PlanTest): number {
  const n = t.number ? Number(/-(\d+)$/.exec(t.number)?.[1]) : NaN;
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** Tests in source order (as the plan lists them), numbered ones by their number within a source. */
export function orderedTests(tests: readonly PlanTest[]): PlanTest[] {
  const sources = [...new Set(tests.map((t) => t.source))];
  return [...tests].sort((a, b) => sources.indexOf(a.source) - sources.indexOf(b.source) || testNumber(a) - testNumber(b));
}

/** A test's previous outcome from a results file ("alerted 2025-03-04 (rule x)"), shown beside it. */
export type PreviousOutcome = (source: string, testId: string | null) => string | undefined;

function testLine(t: PlanTest, previous?: PreviousOutcome): string {
  const ids = [t.number, shownId(t.id)].filter((x): x is string => !!x).map(code).join(' ');
  const facts = [t.platforms.join('/'), t.executors.join('/'), t.elevation ? 'elevated' : ''].filter(Boolean).map(mdText).join('; ');
  const before = previous?.(t.source, t.id);
  return `- [ ] ${mdText(t.sourceTitle)} ${ids ? `${ids} ` : ''}${link(mdText(t.name), t.url)}${facts ? ` (${facts})` : ''}${before ? ` — previously: ${mdText(before)}` : ''}`;
}

/** A heading anchor as GitHub and most viewers make it: lower case, spaces to dashes, punctuation dropped. */
const anchorOf = (t: PlanTechnique) => `${t.id} ${t.name}`.toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-');

function summaryRow(t: PlanTechnique, controls: number): string {
  const own = t.detections.filter((d) => d.kind === 'own').length;
  const detections = own ? count(own, 'own rule') : `${count(t.publicDetections, 'public candidate')}`;
  return `| [${t.id}](#${anchorOf(t)}) ${mdText(t.name)} | ${t.tests.length || '–'} | ${detections} | ${controls || '–'} |`;
}

function techniqueBlock(t: PlanTechnique, tacticNames: Map<string, string>, controls: PlanControl[], moreControls: number, previous?: PreviousOutcome): string[] {
  const out = [`### ${t.id} ${mdText(t.name)}`, ''];
  const also = t.tactics.slice(1).map((x) => tacticNames.get(x) ?? x);
  const facts = [`[ATT&CK page](${safeUrl(t.url) ?? ''})`, `used by: ${mdText(listOr(t.threats, '–'))}`];
  if (also.length) facts.push(`also under ${also.map(mdText).join(', ')}`);
  out.push(facts.join(' · '), '');
  out.push(`**Tests to run (${t.tests.length})**`, '');
  out.push(...(t.tests.length ? orderedTests(t.tests).map((x) => testLine(x, previous)) : ['- no public test for these platforms: write one, or test manually']), '');
  const own = t.detections.some((d) => d.kind === 'own');
  out.push(own ? `**Own detections that should fire (${t.detections.length})**` : `**Public detection candidates (no own rule; ${t.publicDetections} public in all)**`, '');
  const detectionLine = (d: PlanTechnique['detections'][number]) => {
    const id = shownId(d.id);
    return d.kind === 'own'
      ? `- [ ] ${mdText(d.file ?? d.key)} — ${mdText(d.title)}${id ? ` ${code(id)}` : ''}`
      : `- [ ] ${mdText(d.sourceTitle)}${id ? ` ${code(id)}` : ''} ${link(mdText(d.title), d.url)}${d.needs ? ` — ${mdText(d.needs)}` : ''}`;
  };
  out.push(...(t.detections.length ? t.detections.map(detectionLine) : ['- none: a detection must be written']));
  if (t.moreDetections) out.push(`- … and ${count(t.moreDetections, 'more public candidate')} on the technique page`);
  out.push('');
  if (t.guidance.length) {
    const more = t.moreGuidance ? ` · … ${t.moreGuidance} more` : '';
    out.push(`Guidance (not counted as detections): ${t.guidance.map((g) => link(mdText(g.id ? `${g.id} ${g.title}` : g.title), g.url)).join(' · ')}${more}`, '');
  }
  if (controls.length) {
    out.push(`**Controls to check (${controls.length + moreControls})**`, '');
    // VERIS and ATT&CK mitigations often use the id as the name: say it once.
    out.push(...controls.map((c) => {
      const id = shownId(c.id);
      return `- [ ] ${mdText(c.sourceTitle)}${id && id !== c.name ? ` ${code(id)}` : ''} ${link(mdText(c.name), c.url)}`;
    }));
    if (moreControls) out.push(`- … and ${moreControls} more on the technique page`);
    out.push('');
  }
  return out;
}

export function renderPlanMarkdown(p: Plan, previous?: PreviousOutcome): string {
  const s = p.summary;
  const tacticNames = new Map(p.tactics.map((t) => [t.shortname, t.name]));
  const out = [`# ${mdText(p.title)}`, ''];
  out.push(`ATT&CK ${mdText(p.attackVersion)} (${p.domain}) · knowledge base built ${mdText(p.builtAt ?? 'unknown')} · platforms: ${mdText(listOr(p.platforms, 'all'))}`
    + (p.stack ? ` · control stack: ${mdText(p.stack.name ? `${p.stack.name} (${p.stack.sources.join(', ')})` : p.stack.sources.join(', '))}` : ''), '');
  out.push(`${count(s.techniques, 'technique')} · ${s.tested} with a public test (${count(s.tests, 'test')}) · ${s.withOwnRule} with an own rule · `
    + `${s.withPublicDetection} with a public detection rule · ${p.untested.length} without a public test`, '');
  if (p.droppedControls) out.push(`${count(p.droppedControls, 'control')} of cloud providers or product vulnerabilities left out: they do not apply to ${mdText(p.platforms.join(', '))}.`, '');

  out.push('## Summary', '');
  out.push('| Technique | Tests | Detections | Controls |', '| --- | --- | --- | --- |');
  for (const tac of p.tactics) for (const t of tac.techniques) out.push(summaryRow(t, t.controls.length + t.moreControls));
  out.push('');
  p.tactics.forEach((tac, i) => {
    out.push(`## ${i + 1}. ${mdText(tac.name)}${tac.id ? ` (${tac.id})` : ''}`, '');
    for (const t of tac.techniques) out.push(...techniqueBlock(t, tacticNames, t.controls, t.moreControls, previous));
  });
  out.push(`## Techniques no public test covers (${p.untested.length})`, '');
  out.push(...(p.untested.length ? p.untested.map((t) => `- ${t.id} ${mdText(t.name)} (${t.tactics.map((x) => mdText(tacticNames.get(x) ?? x)).join(', ')})`) : ['- none']));
  return `${out.join('\n').trimEnd()}\n`;
}
