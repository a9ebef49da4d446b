/** Purple-team plan → markdown a team prints and works through (checkboxes), or JSON. */
import type { Plan, PlanTechnique, PlanTest } from '../coverage/plan.js';
import { mdText, safeUrl } from './markdown.js';

const link = (text: string, url: string | null | undefined) => {
  const u = safeUrl(url);
  return u ? `[${text}](${u})` : text;
};
const code = (s: string) => `\`${s.replace(/`/g, "'").replace(/\s+/g, " ")}\``;

export function renderPlanJson(p: Plan): string {
  return `${JSON.stringify(p, null, 2)}\n`;
}

function testLine(t: PlanTest): string {
  const ids = [t.number, t.id].filter((x): x is string => !!x).map(code).join(' ');
  const facts = [t.platforms.join('/'), t.executors.join('/'), t.elevation ? 'elevated' : ''].filter(Boolean).map(mdText).join('; ');
  return `- [ ] ${mdText(t.sourceTitle)} ${ids} ${link(mdText(t.name), t.url)}${facts ? ` (${facts})` : ''}`;
}

function techniqueBlock(t: PlanTechnique, tacticNames: Map<string, string>): string[] {
  const out = [`### ${link(t.id, t.url)} ${mdText(t.name)}`, ''];
  const also = t.tactics.slice(1).map((x) => tacticNames.get(x) ?? x);
  const facts = [`Used by: ${t.threats.join(', ') || '–'}`];
  if (also.length) facts.push(`also under ${also.map(mdText).join(', ')}`);
  out.push(facts.join(' · '), '');
  out.push(`**Tests to run (${t.tests.length})**`, '');
  out.push(...(t.tests.length ? t.tests.map(testLine) : ['- no public test for these platforms: write one, or test manually']), '');
  const own = t.detections.some((d) => d.kind === 'own');
  out.push(own ? `**Own detections that should fire (${t.detections.length})**` : `**Public detection candidates (no own rule; ${t.publicDetections} public in all)**`, '');
  const detectionLine = (d: PlanTechnique['detections'][number]) => (d.kind === 'own'
    ? `- [ ] ${mdText(d.file ?? d.key)} — ${mdText(d.title)}${d.id ? ` ${code(d.id)}` : ''}`
    : `- [ ] ${mdText(d.sourceTitle)}${d.id ? ` ${code(d.id)}` : ''} ${link(mdText(d.title), d.url)}`);
  out.push(...(t.detections.length ? t.detections.map(detectionLine) : ['- none: a detection must be written']));
  if (t.moreDetections) out.push(`- … and ${t.moreDetections} more public candidates on the technique page`);
  out.push('');
  if (t.guidance.length) {
    const more = t.moreGuidance ? ` · … ${t.moreGuidance} more` : '';
    out.push(`Guidance (not counted as detections): ${t.guidance.map((g) => link(mdText(g.id ? `${g.id} ${g.title}` : g.title), g.url)).join(' · ')}${more}`, '');
  }
  if (t.controls.length) {
    out.push(`**Controls to check (${t.controls.length + t.moreControls})**`, '');
    out.push(...t.controls.map((c) => `- [ ] ${mdText(c.sourceTitle)}${c.id ? ` ${code(c.id)}` : ''} ${link(mdText(c.name), c.url)}`));
    if (t.moreControls) out.push(`- … and ${t.moreControls} more on the technique page`);
    out.push('');
  }
  return out;
}

export function renderPlanMarkdown(p: Plan): string {
  const s = p.summary;
  const tacticNames = new Map(p.tactics.map((t) => [t.shortname, t.name]));
  const out = [`# ${mdText(p.title)}`, ''];
  out.push(`ATT&CK ${mdText(p.attackVersion)} (${p.domain}) · knowledge base built ${mdText(p.builtAt ?? 'unknown')} · platforms: ${mdText(p.platforms.join(', ') || 'all')}`
    + (p.stack ? ` · control stack: ${mdText(p.stack.name ? `${p.stack.name} (${p.stack.sources.join(', ')})` : p.stack.sources.join(', '))}` : ''), '');
  out.push(`${s.techniques} techniques · ${s.tested} with a public test (${s.tests} tests) · ${s.withOwnRule} with an own rule · `
    + `${s.withPublicDetection} with a public detection rule · ${p.untested.length} without a public test`, '');
  p.tactics.forEach((tac, i) => {
    out.push(`## ${i + 1}. ${mdText(tac.name)}${tac.id ? ` (${tac.id})` : ''}`, '');
    for (const t of tac.techniques) out.push(...techniqueBlock(t, tacticNames));
  });
  out.push(`## Techniques no public test covers (${p.untested.length})`, '');
  out.push(...(p.untested.length ? p.untested.map((t) => `- ${t.id} ${mdText(t.name)} (${t.tactics.map((x) => mdText(tacticNames.get(x) ?? x)).join(', ')})`) : ['- none']));
  return `${out.join('\n').trimEnd()}\n`;
}
