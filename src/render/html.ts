/** The technique page as an HTML document: same Page as markdown and JSON, every upstream string escaped. */
import type { Page, PageItem, PageSource } from '../page/types.js';
import { guidanceOf } from '../page/validation.js';
import { longDate } from '../util/text.js';
import { esc, linkOrText, richText, safeHref } from './escape.js';
import { itemFacts, labelOf } from './facts.js';

export interface HtmlOptions {
  /** Prefix from this page to the site root ('' for the server's absolute paths, '../' in the static site). */
  base: string;
  /** Link to another technique page. */
  techniqueHref?: (id: string) => string;
  /** Suffix of technique page links: '.html' in the static site, '' on the server. */
  ext?: string;
}

function techniqueLink(opts: HtmlOptions, id: string, label: string): string {
  const href = opts.techniqueHref ? opts.techniqueHref(id) : `${opts.base}techniques/${id}${opts.ext ?? ''}`;
  return `<a href="${esc(href)}">${esc(label)}</a>`;
}

function metaValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.length > 160 || v.includes('\n') ? `<pre><code>${esc(v)}</code></pre>` : esc(v);
  if (typeof v === 'number' || typeof v === 'boolean') return esc(String(v));
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return esc(v.join(', '));
    return `<ul>${v.map((x) => `<li>${metaValue(x)}</li>`).join('')}</ul>`;
  }
  return `<dl>${Object.entries(v as Record<string, unknown>).map(([k, x]) => `<dt>${esc(labelOf(k))}</dt><dd>${metaValue(x)}</dd>`).join('')}</dl>`;
}

function itemHtml(item: PageItem, src: PageSource): string {
  const crumbs = item.breadcrumb?.length ? `<span class="crumbs">${item.breadcrumb.map(esc).join(' / ')} / </span>` : '';
  const facts = itemFacts(item, src.summaryFields).map((f) => `<span class="fact">${esc(f)}</span>`).join(' ');
  const flags = [
    item.via ? `<span class="flag">mapped via revoked ${esc(item.via.revoked)}</span>` : '',
    item.deprecated ? '<span class="flag">deprecated</span>' : '',
    item.kind === 'guidance' ? '<span class="flag">guidance</span>' : '',
  ].join('');
  const details: string[] = [];
  if (item.id) details.push(`<dt>id</dt><dd><code>${esc(item.id)}</code></dd>`);
  if (item.relation) details.push(`<dt>relation</dt><dd>${esc(item.relation)}</dd>`);
  if (item.note) details.push(`<dt>why</dt><dd>${esc(item.note)}</dd>`);
  if (item.attackVersion) details.push(`<dt>ATT&amp;CK version</dt><dd>${esc(item.attackVersion)}</dd>`);
  if (item.description) details.push(`<dt>description</dt><dd>${esc(item.description)}</dd>`);
  for (const [k, v] of Object.entries(item.meta ?? {})) details.push(`<dt>${esc(labelOf(k))}</dt><dd>${metaValue(v)}</dd>`);
  return `<li>${crumbs}${linkOrText(item.url, esc(item.name), 'class="item"')} ${facts}${flags}`
    + (details.length ? `<details><summary>details</summary><dl>${details.join('')}</dl></details>` : '') + '</li>';
}

function sourceHtml(src: PageSource, page: Page): string {
  const parts = [`<section class="source" id="source-${esc(src.source)}" data-source="${esc(src.source)}"><h3>${linkOrText(src.url, esc(src.title))}</h3>`];
  parts.push('<dl class="counts">');
  parts.push(`<dt>Last accessed</dt><dd>${esc(longDate(src.accessed ?? undefined))}</dd>`);
  parts.push(`<dt>Total ATT&amp;CK-mapped resources</dt><dd>${src.total}</dd>`);
  parts.push(`<dt>ATT&amp;CK-mapped resources for this (sub)technique</dt><dd class="count">${src.count}</dd>`);
  if (src.viaSubtechniques) parts.push(`<dt>Via sub-techniques</dt><dd>${src.viaSubtechniques}</dd>`);
  const versions = src.attackVersions.filter((v) => v !== page.attackVersion);
  if (versions.length) parts.push(`<dt>Mapped for ATT&amp;CK</dt><dd>${esc(versions.join(', '))} (loaded: ${esc(page.attackVersion)})</dd>`);
  parts.push('</dl>');
  if (src.assessedNotMappable) parts.push(`<p class="assessed">Assessed: not mappable in ${esc(src.title)}.</p>`);
  if (src.items.length) {
    if (src.techniquePage) parts.push(`<p>Resources mapped to this (sub)technique can be viewed on <a href="${safeHref(src.techniquePage)}" rel="noopener noreferrer">this page</a>.</p>`);
    parts.push(`<ul class="items">${src.items.map((i) => itemHtml(i, src)).join('')}</ul>`);
  }
  parts.push('</section>');
  return parts.join('');
}

/** The page body (no document shell): the site and the server wrap it in their layout. */
export function renderPageBody(page: Page, opts: HtmlOptions): string {
  const s = page.summary;
  const parts = [`<article class="technique" data-technique="${esc(page.id)}">`];
  parts.push(`<h1>${esc(page.id)}: ${esc(page.name)}</h1>`);
  parts.push(`<p class="validation" data-validation="${esc(s.validation)}"><strong>Validation:</strong> ${s.policy_volume} controls · ${s.detection_volume} detections · ${s.test_volume} tests — ${esc(s.validation)}</p>`);
  const guidance = guidanceOf(page).flatMap((g) => g.items);
  if (guidance.length) {
    parts.push(`<p class="guidance"><strong>Guidance (not counted as detections):</strong> ${s.guidance_volume} — `
      + `${guidance.map((i) => linkOrText(i.url, esc(i.id ? `${i.id} ${i.name}` : i.name))).join(' · ')}</p>`);
  }
  if (page.stack) parts.push(`<p class="stack"><strong>Control stack:</strong> ${esc(page.stack.name ? `${page.stack.name}: ` : '')}${esc(page.stack.sources.join(', '))} (other sources left out)</p>`);
  parts.push(`<p><strong>MITRE ATT&amp;CK Tactic(s):</strong> ${esc(page.tactics.join(', '))}</p>`);
  if (page.platforms.length) parts.push(`<p><strong>Platforms:</strong> ${esc(page.platforms.join(', '))}</p>`);
  if (page.status !== 'active') {
    parts.push(`<p class="status"><strong>Status:</strong> ${esc(page.status)}${page.replacedBy.length ? ` — replaced by ${page.replacedBy.map((t) => techniqueLink(opts, t.id, `${t.id}: ${t.name}`)).join(', ')}` : ''}</p>`);
  }
  if (page.parent) parts.push(`<p><strong>Sub-technique of:</strong> ${techniqueLink(opts, page.parent.id, `${page.parent.id}: ${page.parent.name}`)}</p>`);
  if (page.subtechniques.length) {
    parts.push(`<p><strong>Sub-techniques:</strong></p><ul class="subtechniques">${page.subtechniques.map((t) => `<li>${techniqueLink(opts, t.id, `${t.id}: ${t.name}`)}</li>`).join('')}</ul>`);
  }
  parts.push(`<p><strong><a href="${safeHref(page.url)}" rel="noopener noreferrer">MITRE ATT&amp;CK Description</a></strong></p>`);
  parts.push(`<blockquote>${richText(page.description)}</blockquote>`);
  for (const section of page.sections) {
    parts.push(`<section class="pillar" data-pillar="${section.pillar}"><h2>${esc(section.title)}</h2>`);
    if (!section.sources.length) parts.push('<p>No source of this pillar is loaded.</p>');
    for (const src of section.sources) parts.push(sourceHtml(src, page));
    parts.push('</section>');
  }
  parts.push('</article>');
  return parts.join('\n');
}

/** A standalone document for `show --format html`: no scripts, inline-free, CSP friendly. */
export function renderHtmlPage(page: Page, opts: HtmlOptions): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; img-src 'self'">
<title>${esc(page.id)}: ${esc(page.name)} — Purplebook</title></head>
<body>
${renderPageBody(page, opts)}
</body></html>
`;
}
