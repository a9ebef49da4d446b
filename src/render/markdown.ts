/** Markdown page in the layout of Control Validation Compass (../shared/seed). */
import type { Page, PageItem, PageSource } from '../page/types.js';
import { longDate } from '../util/text.js';
import { markdownHtmlText } from './escape.js';
import { itemFacts } from './facts.js';

export interface MarkdownOptions {
  /** Show ids, tactics, "why" chains and notes for every item. */
  detail?: boolean;
  /** Link target for other techniques (default: the ATT&CK site). */
  techniqueHref?: (id: string) => string;
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
  return `**Validation:** ${s.policy_volume} controls · ${s.detection_volume} detections · ${s.test_volume} tests — ${s.validation}`;
}

function itemLine(item: PageItem, src: PageSource, opts: MarkdownOptions): string[] {
  const title = mdText(item.name);
  const head = item.breadcrumb?.length
    ? `${item.breadcrumb.map(mdText).join(' / ')} / ${linked(`**${title}**`, item.url)}`
    : linked(title, item.url);
  const facts = opts.detail ? itemFacts(item, ['id', 'relation', ...src.summaryFields, ...Object.keys(item.meta ?? {}).filter((k) => !src.summaryFields.includes(k))].filter((v, i, a) => a.indexOf(v) === i)) : itemFacts(item, src.summaryFields);
  let line = `* ${head}`;
  if (facts.length) line += ` — ${facts.map(mdText).join(' · ')}`;
  if (item.via) line += ` (mapped via revoked ${item.via.revoked})`;
  if (item.deprecated) line += ' (deprecated)';
  const lines = [line];
  if (item.note && (opts.detail || src.summaryFields.includes('note'))) lines.push(`  * ${mdText(oneLineCap(item.note, 600))}`);
  return lines;
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
  if (page.parent) out.push(`**Sub-technique of:** [${page.parent.id}: ${mdText(page.parent.name)}](${href(page.parent.id)})`, '');
  if (page.subtechniques.length) {
    out.push(`**Sub-techniques:** ${page.subtechniques.map((s) => `[${s.id}: ${mdText(s.name)}](${href(s.id)})`).join(', ')}`, '');
  }
  out.push(`**${linked('MITRE ATT&CK Description', page.url)}**`);
  out.push(`<blockquote>${markdownHtmlText(page.description)}</blockquote>`, '');
  for (const section of page.sections) {
    out.push(`## ${section.title}`);
    if (!section.sources.length) {
      out.push(`No ${section.pillar === 'policy' ? 'control' : section.pillar} source is loaded in this knowledge base.`, '');
      continue;
    }
    for (const src of section.sources) out.push(...sourceBlock(src, page, opts));
  }
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}
