/** Markdown page in the layout of Control Validation Compass (../shared/seed). */
import type { Page, PageItem, PageSource } from '../page/types.js';
import { guidanceOf } from '../page/validation.js';
import { longDate } from '../util/text.js';
import { descriptionMarkdown } from './description.js';
import { itemFacts } from './facts.js';
import { MAX_CODE_CHARS, hasContent, logicLabel } from './item-view.js';
import { count } from './words.js';

export interface MarkdownOptions {
  /** Show ids, tactics, "why" chains and notes for every item. */
  detail?: boolean;
  /** Link target for other techniques (default: the ATT&CK site). */
  techniqueHref?: (id: string) => string;
  /** A block for every loaded source, also those with nothing for this technique (default: one line names them). */
  allSources?: boolean;
  /** Each rule's logic (Sigma detection block, query) as a fenced block under it: text, never run. */
  logic?: boolean;
}

const attackHref = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}`;

/** Escapes text for a markdown line: no HTML, no link syntax breaking out of `[...]`. */
export function mdText(s: string): string {
  // Tests first: most text needs neither step, and skipping the copies doubled page throughput.
  const escaped = MD_SPECIAL.test(s) ? s.replace(MD_SPECIALS, '\\$&') : s;
  return oneLine(escaped);
}
const MD_SPECIAL = /[\\[\]<>*_`|]/;
const MD_SPECIALS = /[\\[\]<>*_`|]/g;
/** Whitespace collapsed to single spaces and trimmed; most text has only single inner spaces, so look before copying. */
function oneLine(s: string): string {
  const irregular = s.charCodeAt(0) === 32 || s.charCodeAt(s.length - 1) === 32 || s.includes('  ') || /[^\S ]/.test(s);
  return irregular ? s.replace(/\s+/g, ' ').trim() : s;
}

/** URLs only for http(s); anything else (javascript:, data:) is dropped. */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  if (!/^https?:\/\//i.test(url)) return null;
  return /[()\s<>]/.test(url) ? url.replace(/[()\s<>]/g, (c) => encodeURIComponent(c)) : url;
}

function linked(text: string, url: string | null | undefined): string {
  const u = safeUrl(url);
  return u ? `[${text}](${u})` : text;
}

export function validationLine(page: Page): string {
  const s = page.summary;
  return `**Validation:** ${count(s.policy_volume, 'control')} · ${count(s.detection_volume, 'detection')} · ${count(s.test_volume, 'test')} — ${s.validation}`;
}

/** Guidance items listed on one line of the page, at most this many (the source blocks list them all). */
export const GUIDANCE_LINE_MAX = 12;

/** `**Guidance:** …`: what describes detection without a rule to run; shown, never counted. Empty when there is none. */
export function guidanceLine(page: Page): string {
  const groups = guidanceOf(page);
  if (!groups.length) return '';
  const items = groups.flatMap((g) => g.items.map((i) => linked(mdText(i.id ? `${i.id} ${i.name}` : i.name), i.url)));
  const shown = items.slice(0, GUIDANCE_LINE_MAX).join(' · ');
  const more = items.length > GUIDANCE_LINE_MAX ? ` · … ${items.length - GUIDANCE_LINE_MAX} more` : '';
  return `**Guidance (not counted as detections):** ${page.summary.guidance_volume} — ${shown}${more}`;
}

function itemLine(item: PageItem, src: PageSource, opts: MarkdownOptions): string[] {
  const title = mdText(item.name);
  const head = item.breadcrumb?.length
    ? `${item.breadcrumb.map(mdText).join(' / ')} / ${linked(`**${title}**`, item.url)}`
    : linked(title, item.url);
  const facts = opts.detail ? itemFacts(item, detailFields(item, src)) : itemFacts(item, src.summaryFields);
  let line = `* ${head}`;
  if (facts.length) line += ` — ${facts.map(mdText).join(' · ')}`;
  if (item.via) line += ` (mapped via revoked ${item.via.revoked})`;
  if (item.deprecated) line += ' (deprecated)';
  if (item.kind === 'guidance') line += ' (guidance)';
  const lines = [line];
  if (item.note && (opts.detail || src.summaryFields.includes('note'))) lines.push(`  * ${mdText(oneLineCap(item.note, 600))}`);
  if (opts.logic && item.logic?.text.trim()) lines.push(...logicBlock(item.logic.language, item.logic.text));
  return lines;
}

/** Fence info strings viewers highlight; other languages get none. */
const FENCE_LANGUAGE: Record<string, string> = { sigma: 'yaml', eql: 'eql', esql: 'esql', kuery: 'kql', kql: 'kql', spl: 'spl', lucene: 'lucene' };

/**
 * A rule's logic under its list item: a label, then the text in a fence longer than any run of
 * backticks in it (found in one pass), so no text can close the block early.
 */
function logicBlock(language: string, text: string): string[] {
  const body = text.length > MAX_CODE_CHARS ? `${text.slice(0, MAX_CODE_CHARS)}\n… (cut at ${MAX_CODE_CHARS} characters)` : text;
  let longest = 0;
  let run = 0;
  for (const ch of body) {
    run = ch === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const lines = body.replace(/\r\n?/g, '\n').replace(/\s+$/, '').split('\n');
  return [`  * ${mdText(logicLabel(language))}:`, '', `    ${fence}${FENCE_LANGUAGE[language.trim().toLowerCase()] ?? ''}`, ...lines.map((l) => (l ? `    ${l}` : '')), `    ${fence}`, ''];
}

/**
 * Every field of an item for --detail, each value once: D3FEND's `d3fendId` and Sigma's `id` repeat
 * the item's id, and D3FEND's `definition` its description.
 */
function detailFields(item: PageItem, src: PageSource): string[] {
  const fields = ['id', 'relation', ...src.summaryFields, ...Object.keys(item.meta ?? {})].filter((v, i, a) => a.indexOf(v) === i);
  const seen = new Set<string>([item.name, item.description ?? ''].map((x) => x.trim()));
  return fields.filter((f) => {
    const v = f === 'id' ? item.id : f === 'relation' ? item.relation : item.meta?.[f];
    if (typeof v !== 'string') return true;
    if (seen.has(v.trim())) return false;
    seen.add(v.trim());
    return true;
  });
}

function oneLineCap(s: string, max: number): string {
  const t = oneLine(s);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function sourceBlock(src: PageSource, page: Page, opts: MarkdownOptions): string[] {
  const out = [`### ${linked(mdText(src.title), src.url)}`];
  out.push(`**Last accessed:** ${mdText(longDate(src.accessed ?? undefined))}${src.accessedFrom === 'file-dates' ? ' (from file dates: no MANIFEST.json)' : ''}`, '');
  out.push(`**Total ATT&CK-mapped resources:** ${src.total}`, '');
  out.push(`**ATT&CK-mapped resources for this (sub)technique:** ${src.count}`, '');
  if (src.viaSubtechniques) {
    out.push(`**Via sub-techniques:** ${src.viaSubtechniques} more mapped only to sub-techniques of ${page.id}`, '');
  }
  const versions = src.attackVersions.filter((v) => v !== page.attackVersion);
  if (versions.length) out.push(`**Mapped for ATT&CK:** ${versions.join(', ')} (loaded: ${page.attackVersion})`, '');
  if (src.assessedNotMappable) {
    out.push(`Assessed: not mappable in ${mdText(src.title)} (the framework's authors found no control for this technique).`, '');
  }
  if (src.items.length) {
    if (src.techniquePage) out.push(`Resources mapped to this (sub)technique can be viewed on [this page](${safeUrl(src.techniquePage) ?? ''}):`, '');
    for (const item of src.items) out.push(...itemLine(item, src, opts));
    out.push('');
  }
  return out;
}

export function renderMarkdown(page: Page, opts: MarkdownOptions = {}): string {
  const href = opts.techniqueHref ?? attackHref;
  const out: string[] = [`# ${page.id}: ${mdText(page.name)}`];
  out.push(`**MITRE ATT&CK Tactic(s):** ${page.tactics.join(', ')}`, '');
  if (page.status !== 'active') {
    const by = page.replacedBy.map((t) => `[${t.id}: ${mdText(t.name)}](${href(t.id)})`).join(', ');
    out.push(`**Status:** ${page.status}${by ? ` — replaced by ${by}` : ''}`, '');
  }
  out.push(validationLine(page), '');
  const guidance = guidanceLine(page);
  if (guidance) out.push(guidance, '');
  if (page.stack) out.push(`**Control stack:** ${page.stack.name ? `${mdText(page.stack.name)}: ` : ''}${page.stack.sources.map(mdText).join(', ')} (other sources left out)`, '');
  if (page.parent) out.push(`**Sub-technique of:** [${page.parent.id}: ${mdText(page.parent.name)}](${href(page.parent.id)})`, '');
  if (page.subtechniques.length) {
    out.push(`**Sub-techniques:** ${page.subtechniques.map((s) => `[${s.id}: ${mdText(s.name)}](${href(s.id)})`).join(', ')}`, '');
  }
  out.push(`**${linked('MITRE ATT&CK Description', page.url)}**`);
  out.push(`<blockquote>${descriptionMarkdown(page.description)}</blockquote>`, '');
  for (const section of page.sections) {
    out.push(`## ${section.title}`);
    if (!section.sources.length) {
      out.push(`No ${section.pillar === 'policy' ? 'control' : section.pillar} source is loaded in this knowledge base.`, '');
      continue;
    }
    const shown = opts.allSources ? section.sources : section.sources.filter(hasContent);
    for (const src of shown) out.push(...sourceBlock(src, page, opts));
    const empty = section.sources.filter((src) => !shown.includes(src));
    if (empty.length) out.push(`Nothing for this (sub)technique in: ${empty.map((src) => mdText(src.title)).join(', ')}.`, '');
  }
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}
