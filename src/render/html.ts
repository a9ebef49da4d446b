/**
 * The technique page as HTML: same Page as markdown and JSON, every upstream string escaped.
 * A summary comes first (counts per source, jump links, who uses the technique), then the three
 * pillars. Sources without a resource for the technique collapse into one line per pillar. Heavy
 * pages can leave item details (and, if still too heavy, items past the first few of a source) to
 * a data file the browser loads on demand: `renderTechniqueBody` picks the lightest rendering
 * needed to stay within a byte budget.
 */
import type { Page, PageItem, PageSource } from '../page/types.js';
import { guidanceOf } from '../page/validation.js';
import { longDate } from '../util/text.js';
import { attackInlineHtml, descriptionHtml } from './description.js';
import { esc, linkOrText, safeHref } from './escape.js';
import { hasContent, itemView, type DetailRow, type DetailValue, type ItemView } from './item-view.js';
import { count } from './words.js';

/** An ATT&CK group, software or campaign that uses the technique. */
export interface ActorLink {
  id: string;
  name: string;
  url: string;
}

export interface UsedBy {
  groups: ActorLink[];
  software: ActorLink[];
  campaigns: ActorLink[];
}

export interface HtmlOptions {
  /** Prefix from this page to the site root ('' for the server's absolute paths, '../' in the static site). */
  base: string;
  /** Link to another technique page. */
  techniqueHref?: (id: string) => string;
  /** Suffix of technique page links: '.html' in the static site, '' on the server. */
  ext?: string;
  /** Already-escaped HTML shown after the description (the Validation results block). */
  appendix?: string;
  /** Groups, software and campaigns that use the technique (ATT&CK `uses`); absent: no "used by" summary. */
  usedBy?: UsedBy;
  /** Link to the sources page, for the names of sources with nothing for this technique. */
  sourcesHref?: string;
  /** What to leave to the lazily loaded data file (default: nothing). */
  defer?: Deferral;
}

/** How much of a heavy page waits for the browser to ask: details, commands, items past a per-source count. */
export interface Deferral {
  /** Path of the data script from this page (`../data/techniques/T1059.js`). */
  href: string;
  details: boolean;
  code: boolean;
  /** Items shown per source before "show all"; Infinity shows all. */
  itemsPerSource: number;
}

function techniqueLink(opts: HtmlOptions, id: string, label: string): string {
  const href = opts.techniqueHref ? opts.techniqueHref(id) : `${opts.base}techniques/${id}${opts.ext ?? ''}`;
  return `<a href="${esc(href)}">${esc(label)}</a>`;
}

/* ------------------------------------------------------------------ items */

function detailValueHtml(v: DetailValue): string {
  if (typeof v === 'string') return esc(v);
  if ('code' in v) return `<pre><code>${esc(v.code)}</code></pre>`;
  if ('list' in v) return `<ul>${v.list.map((x) => `<li>${detailValueHtml(x)}</li>`).join('')}</ul>`;
  if ('attack' in v) return attackInlineHtml(v.attack);
  return detailRowsHtml(v.rows);
}

function detailRowsHtml(rows: DetailRow[]): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${detailValueHtml(v)}</dd>`).join('')}</dl>`;
}

/** Filter values as data attributes; lists joined by "|" (platform names hold spaces and commas). */
function facetAttrs(v: ItemView): string {
  const f = v.facets;
  const attrs: string[] = [];
  if (f.level) attrs.push(`data-level="${esc(f.level)}"`);
  if (f.status) attrs.push(`data-status="${esc(f.status)}"`);
  if (f.platforms) attrs.push(`data-platforms="${esc(f.platforms.join('|'))}"`);
  if (f.logsource) attrs.push(`data-logsource="${esc(f.logsource)}"`);
  if (f.executors) attrs.push(`data-executors="${esc(f.executors.join('|'))}"`);
  if (f.date) attrs.push(`data-date="${esc(f.date)}"`);
  return attrs.length ? ` ${attrs.join(' ')}` : '';
}

export function codeBlockHtml(label: string, text: string): string {
  // The copy button is shown by the script (it does nothing without one); the text is never run.
  return `<details class="code"><summary>${esc(label)}</summary><div class="code-box"><pre><code>${esc(text)}</code></pre>`
    + '<button type="button" class="copy" hidden>Copy</button></div></details>';
}

function itemHtml(v: ItemView, index: number, defer: Deferral | undefined): string {
  const crumbs = v.crumbs.length ? `<span class="crumbs">${v.crumbs.map(esc).join(' / ')} / </span>` : '';
  const facts = v.facts.map((f) => `<span class="fact">${esc(f)}</span>`).join(' ');
  const flags = v.flags.map((f) => `<span class="flag">${esc(f)}</span>`).join('');
  const parts = [`<li class="res" data-i="${index}"${facetAttrs(v)}>${crumbs}${linkOrText(v.url, esc(v.name), 'class="item"')} ${facts}${flags}`];
  const lazy = (defer?.code && v.code.length) || (defer?.details && v.details.length);
  if (!defer?.code) for (const c of v.code) parts.push(codeBlockHtml(c.label, c.text));
  if (!defer?.details && v.details.length) parts.push(`<details class="more"><summary>details</summary>${detailRowsHtml(v.details)}</details>`);
  if (lazy) {
    const what = [defer?.code && v.code.length ? v.code.map((c) => c.label.replace(/ \(.*\)$/, '').toLowerCase()).join(', ') : '', defer?.details && v.details.length ? 'details' : '']
      .filter(Boolean).join(', ');
    parts.push(`<details class="more lazy"><summary>${esc(what)}</summary><p class="loading">Loading…</p></details>`);
  }
  parts.push('</li>');
  return parts.join('');
}


function sourceHtml(src: PageSource, page: Page, views: ItemView[], defer: Deferral | undefined): string {
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
  if (views.length) {
    if (src.techniquePage) parts.push(`<p>Resources mapped to this (sub)technique can be viewed on <a href="${safeHref(src.techniquePage)}" rel="noopener noreferrer">this page</a>.</p>`);
    const shown = Math.min(views.length, defer?.itemsPerSource ?? Infinity);
    parts.push(`<ul class="items" data-total="${views.length}">${views.slice(0, shown).map((v, i) => itemHtml(v, i, defer)).join('')}</ul>`);
    if (shown < views.length) {
      parts.push(`<p class="more-items"><button type="button" class="show-all" hidden>Show all ${views.length}</button>`
        + `<span class="no-script"> ${views.length - shown} more: see the <a href="${esc(`${page.id}.md`)}">markdown page</a>.</span></p>`);
    }
  }
  parts.push('</section>');
  return parts.join('');
}

/* ------------------------------------------------------------------ summary */

/** Width class 1…10 of a bar, relative to the largest count of its pillar. */
const barWidth = (n: number, max: number) => (n && max ? Math.max(1, Math.round((10 * n) / max)) : 0);

function pillarSummary(page: Page): string {
  const rows = page.sections.map((section) => {
    const with_ = section.sources.filter((s) => s.count > 0);
    const max = Math.max(0, ...with_.map((s) => s.count));
    const volume = section.pillar === 'policy' ? page.summary.policy_volume : section.pillar === 'detection' ? page.summary.detection_volume : page.summary.test_volume;
    const chips = with_.map((s) => `<li><a href="#source-${esc(s.source)}" title="${esc(s.title)}: ${s.count}"><span class="label">${esc(s.title)}</span>`
      + `<span class="bar" data-w="${barWidth(s.count, max)}"></span><span class="n">${s.count}</span></a></li>`).join('');
    return `<div class="pillar-bars" data-pillar="${section.pillar}"><h3><a href="#pillar-${section.pillar}">${esc(section.title)}</a>`
      + ` <span class="total">${esc(count(volume, section.pillar === 'policy' ? 'control' : section.pillar === 'detection' ? 'detection' : 'test'))}</span></h3>`
      + (chips ? `<ul class="bars">${chips}</ul>` : '<p class="none">No source maps a resource to this technique.</p>') + '</div>';
  });
  return `<div class="pillars-summary">${rows.join('')}</div>`;
}

const MANY_ACTORS = 24;

function usedByHtml(u: UsedBy): string {
  const groups = [['Groups', u.groups], ['Software', u.software], ['Campaigns', u.campaigns]] as const;
  const total = u.groups.length + u.software.length + u.campaigns.length;
  const intro = total
    ? `<p>ATT&amp;CK records ${esc(count(u.groups.length, 'group'))}, ${esc(count(u.software.length, 'piece of software', 'pieces of software'))} and ${esc(count(u.campaigns.length, 'campaign'))} using this technique.</p>`
    : '<p>ATT&amp;CK records no group, software or campaign using this technique.</p>';
  const lists = groups.filter(([, list]) => list.length).map(([title, list]) => {
    const items = list.map((a) => `<li>${linkOrText(a.url, esc(a.name))} <span class="aid">${esc(a.id)}</span></li>`).join('');
    return `<details class="actors"${list.length <= MANY_ACTORS ? ' open' : ''}><summary>${esc(title)} (${list.length})</summary><ul class="actor-list">${items}</ul></details>`;
  }).join('');
  return `<section class="used-by" id="used-by" aria-labelledby="used-by-title"><h2 id="used-by-title">Used by</h2>${intro}${lists}</section>`;
}

/** Log sources named by the ATT&CK analytics of the technique's detection strategies: `WinEventLog:Sysmon`. */
export function analyticLogSources(page: Page): string[] {
  const out = new Set<string>();
  for (const s of page.sections.flatMap((x) => x.sources)) {
    if (s.source !== 'attack-detection-strategies') continue;
    for (const item of s.items) {
      const list = item.meta?.analyticList;
      if (!Array.isArray(list)) continue;
      for (const a of list as { logSources?: unknown }[]) {
        for (const l of Array.isArray(a?.logSources) ? a.logSources : []) {
          if (typeof l === 'string' && l.trim()) out.add(l.split(': ')[0]!.trim());
        }
      }
    }
  }
  return [...out].sort();
}

/** ATT&CK data components the technique's detection strategies read (`DC0032 Process Creation`), by id. */
export function analyticDataComponents(page: Page): { id: string; name: string }[] {
  const out = new Map<string, string>();
  for (const s of page.sections.flatMap((x) => x.sources)) {
    if (s.source !== 'attack-detection-strategies') continue;
    for (const item of s.items) {
      const list = item.meta?.dataComponents;
      for (const d of Array.isArray(list) ? list : []) {
        const m = typeof d === 'string' ? /^(DC\d{4}) (.+)$/.exec(d) : null;
        if (m) out.set(m[1]!, m[2]!);
      }
    }
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, name]) => ({ id, name }));
}

function jumpLinks(page: Page, opts: HtmlOptions): string {
  const links = [`<li><a href="#description">Description</a></li>`];
  for (const s of page.sections) links.push(`<li><a href="#pillar-${s.pillar}">${esc(s.title)}</a></li>`);
  if (opts.usedBy) links.push('<li><a href="#used-by">Used by</a></li>');
  return `<nav class="jump" aria-label="On this page"><ul>${links.join('')}</ul></nav>`;
}

/* ------------------------------------------------------------------ filters */

type FacetName = 'level' | 'status' | 'platforms' | 'logsource' | 'executors';
const FACETS: readonly { name: FacetName; label: string }[] = [
  { name: 'level', label: 'Level / severity' }, { name: 'status', label: 'Status' }, { name: 'platforms', label: 'Platform' },
  { name: 'logsource', label: 'Log source' }, { name: 'executors', label: 'Executor' },
];
const MAX_OPTIONS = 150;
const LEVEL_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

function option(value: string, label: string): string {
  return `<option value="${esc(value)}">${esc(label)}</option>`;
}

function filterForm(page: Page, views: Map<string, ItemView[]>): string {
  const withItems = page.sections.flatMap((s) => s.sources).filter((s) => (views.get(s.source)?.length ?? 0) > 0);
  if (!withItems.length) return '';
  const fields = [`<label>Source <select name="source"><option value="">all (${withItems.length})</option>${withItems.map((s) => option(s.source, `${s.title} (${s.count})`)).join('')}</select></label>`];
  for (const { name, label } of FACETS) {
    const counts = new Map<string, number>();
    for (const list of views.values()) {
      for (const v of list) {
        const raw = v.facets[name];
        for (const x of Array.isArray(raw) ? raw : raw ? [raw] : []) counts.set(x, (counts.get(x) ?? 0) + 1);
      }
    }
    if (!counts.size) continue;
    const values = [...counts].sort(([a, na], [b, nb]) => (name === 'level' ? rank(a) - rank(b) : 0) || nb - na || (a < b ? -1 : 1)).slice(0, MAX_OPTIONS);
    fields.push(`<label>${esc(label)} <select name="${name}"><option value="">any</option>${values.map(([v, n]) => option(v, `${v} (${n})`)).join('')}</select></label>`);
  }
  fields.push(`<label>Sort <select name="sort">${option('', 'as listed')}${option('name', 'name')}${option('level', 'level, highest first')}${option('date', 'date, newest first')}</select></label>`);
  return `<form class="filters" id="item-filters" aria-label="Filter and sort the resources of this page" hidden>${fields.join('')}`
    + '<button type="reset">Clear</button><p class="filter-status" role="status" aria-live="polite"></p></form>';
}
const rank = (level: string) => {
  const i = LEVEL_ORDER.indexOf(level);
  return i < 0 ? LEVEL_ORDER.length : i;
};

/* ------------------------------------------------------------------ page */

/** Every item of the page as the view data both the server and the browser render. */
export function pageItemViews(page: Page): Map<string, ItemView[]> {
  const out = new Map<string, ItemView[]>();
  for (const src of page.sections.flatMap((s) => s.sources)) out.set(src.source, src.items.map((i: PageItem) => itemView(i, src)));
  return out;
}

function emptySources(list: PageSource[], opts: HtmlOptions): string {
  if (!list.length) return '';
  const names = list.map((s) => (opts.sourcesHref ? `<a href="${esc(`${opts.sourcesHref}#source-${s.source}`)}">${esc(s.title)}</a>` : esc(s.title)));
  return `<p class="empty-sources">Nothing for this technique in: ${names.join(', ')}.</p>`;
}

/** The page body (no document shell): the site and the server wrap it in their layout. */
export function renderPageBody(page: Page, opts: HtmlOptions, views = pageItemViews(page)): string {
  const s = page.summary;
  const defer = opts.defer;
  const parts = [`<article class="technique" data-technique="${esc(page.id)}"${defer ? ` data-details="${esc(defer.href)}"` : ''}>`];
  parts.push(`<h1>${esc(page.id)}: ${esc(page.name)}</h1>`);
  parts.push(`<p class="validation" data-validation="${esc(s.validation)}"><strong>Validation:</strong> ${esc(count(s.policy_volume, 'control'))} · `
    + `${esc(count(s.detection_volume, 'detection'))} · ${esc(count(s.test_volume, 'test'))} — ${esc(s.validation)}</p>`);
  const guidance = guidanceOf(page).flatMap((g) => g.items);
  if (guidance.length) {
    parts.push(`<p class="guidance"><strong>Guidance (not counted as detections):</strong> ${s.guidance_volume} — `
      + `${guidance.map((i) => linkOrText(i.url, esc(i.id ? `${i.id} ${i.name}` : i.name))).join(' · ')}</p>`);
  }
  if (page.stack) parts.push(`<p class="stack"><strong>Control stack:</strong> ${esc(page.stack.name ? `${page.stack.name}: ` : '')}${esc(page.stack.sources.join(', '))} (other sources left out)</p>`);
  parts.push('<div class="overview">');
  parts.push(`<p><strong>MITRE ATT&amp;CK Tactic(s):</strong> ${esc(page.tactics.join(', ') || 'none')}</p>`);
  if (page.platforms.length) parts.push(`<p><strong>Platforms:</strong> ${esc(page.platforms.join(', '))}</p>`);
  const logSources = analyticLogSources(page);
  const components = analyticDataComponents(page);
  if (components.length) {
    parts.push(`<p class="data-components"><strong>Data components (ATT&amp;CK analytics):</strong> ${components
      .map((d) => `<a href="${esc(`https://attack.mitre.org/datacomponents/${d.id}`)}" title="${esc(d.id)}">${esc(d.name)}</a>`).join(', ')}</p>`);
  }
  if (logSources.length) parts.push(`<p><strong>Log sources (ATT&amp;CK analytics):</strong> ${esc(logSources.join(', '))}</p>`);
  if (page.status !== 'active') {
    parts.push(`<p class="status"><strong>Status:</strong> ${esc(page.status)}${page.replacedBy.length ? ` — replaced by ${page.replacedBy.map((t) => techniqueLink(opts, t.id, `${t.id}: ${t.name}`)).join(', ')}` : ''}</p>`);
  }
  if (page.parent) parts.push(`<p><strong>Sub-technique of:</strong> ${techniqueLink(opts, page.parent.id, `${page.parent.id}: ${page.parent.name}`)}</p>`);
  if (page.subtechniques.length) {
    parts.push(`<p><strong>Sub-techniques:</strong></p><ul class="subtechniques">${page.subtechniques.map((t) => `<li>${techniqueLink(opts, t.id, `${t.id}: ${t.name}`)}</li>`).join('')}</ul>`);
  }
  parts.push(jumpLinks(page, opts));
  parts.push(pillarSummary(page));
  parts.push('</div>');
  if (opts.usedBy) parts.push(usedByHtml(opts.usedBy));
  parts.push(`<h2 id="description"><a href="${safeHref(page.url)}" rel="noopener noreferrer">MITRE ATT&amp;CK Description</a></h2>`);
  parts.push(`<blockquote class="description">${descriptionHtml(page.description)}</blockquote>`);
  if (opts.appendix) parts.push(opts.appendix);
  parts.push(filterForm(page, views));
  for (const section of page.sections) {
    parts.push(`<section class="pillar" id="pillar-${section.pillar}" data-pillar="${section.pillar}"><h2>${esc(section.title)}</h2>`);
    if (!section.sources.length) parts.push('<p>No source of this pillar is loaded.</p>');
    const shown = section.sources.filter(hasContent);
    for (const src of shown) parts.push(sourceHtml(src, page, views.get(src.source) ?? [], defer));
    if (section.sources.length && !shown.length) parts.push('<p class="none">No resource of any loaded source maps to this technique.</p>');
    parts.push(emptySources(section.sources.filter((x) => !hasContent(x)), opts));
    parts.push('</section>');
  }
  parts.push('</article>');
  return parts.join('\n');
}

/** The renderings tried in turn until the page fits its budget: everything inline first. */
export const DEFERRALS: readonly Omit<Deferral, 'href'>[] = [
  { details: true, code: false, itemsPerSource: Infinity },
  { details: true, code: true, itemsPerSource: Infinity },
  { details: true, code: true, itemsPerSource: 100 },
  { details: true, code: true, itemsPerSource: 40 },
  { details: true, code: true, itemsPerSource: 15 },
  { details: true, code: true, itemsPerSource: 5 },
];

/**
 * The lightest rendering that keeps the body within `budget` bytes: the full page, else details
 * (then commands, then items past a count per source) left to the data file at `deferHref`.
 * `deferred` says whether the data file is needed.
 */
export function renderTechniqueBody(page: Page, opts: Omit<HtmlOptions, 'defer'>, budget: number, deferHref: string): { html: string; deferred: boolean } {
  const views = pageItemViews(page);
  let html = renderPageBody(page, opts, views);
  if (Buffer.byteLength(html) <= budget) return { html, deferred: false };
  for (const d of DEFERRALS) {
    html = renderPageBody(page, { ...opts, defer: { ...d, href: deferHref } }, views);
    if (Buffer.byteLength(html) <= budget) break;
  }
  return { html, deferred: true };
}

/** The data file of a page with deferred parts: every item's view, by source, for the browser to render. */
export function itemViewsData(page: Page): { id: string; sources: Record<string, ItemView[]> } {
  return { id: page.id, sources: Object.fromEntries(pageItemViews(page)) };
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
