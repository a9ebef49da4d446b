/**
 * The site's pages as HTML strings: index, matrices, search and technique pages (sources: sources.ts). The
 * static site writes them to files and the server sends them; both call these functions.
 */
import type { Domain } from '../attack/types.js';
import { renderTechniqueBody } from '../render/html.js';
import { esc } from '../render/escape.js';
import type { Page } from '../page/types.js';
import { techniqueHref, topHref, type Links } from './layout.js';
import { shell } from './shell.js';
import { usedBy } from './used-by.js';
import { DEFAULT_MEASURE, VALIDATION_ORDER, countLevel } from '../page/measures.js';
import type { TechniqueSummary } from '../page/summary.js';
import { VALIDATION_COLORS, countKey } from '../render/palette.js';
import { DOMAIN_PAGES, type DomainPage, type MatrixData, type SiteModel } from './model.js';

/** Measures the static site ships Navigator layer files for (the server makes any on request). */
export const SITE_LAYER_MEASURES = ['validation', 'controls', 'detections', 'tests'];

export function layerHref(links: Links, slug: string, measure: string): string {
  return links.api ? `api/layers/${measure}?domain=${slug}` : `layers/${slug}-${measure}.json`;
}

/* ---------------------------------------------------------------- technique page */

/** Largest technique page, in bytes: heavier pages leave details and long lists to a data file loaded on demand. */
export const PAGE_BUDGET = 300_000;

/** The data file of a technique page with deferred parts, from the site root. */
export const techniqueDataPath = (id: string) => `data/techniques/${id}.js`;

export interface TechniquePageResult {
  html: string;
  /** The page needs its data file (`techniqueDataPath`): details or items were left out of the HTML. */
  deferred: boolean;
}

/** `appendix`: escaped HTML after the description (the Validation results block of `--results`). */
export function techniquePageResult(model: SiteModel, page: Page, links: Links, budget = PAGE_BUDGET, appendix?: string): TechniquePageResult {
  const base = '../';
  const domain = DOMAIN_PAGES.find((d) => d.domain === page.domain);
  const crumbs = [`<li><a href="${esc(base + topHref('index', links))}">Purplebook</a></li>`];
  if (domain) crumbs.push(`<li><a href="${esc(base + topHref(domain.slug, links))}">${esc(domain.title)} matrix</a></li>`);
  if (page.parent) crumbs.push(`<li><a href="${esc(`${page.parent.id}${links.ext}`)}">${esc(page.parent.id)}</a></li>`);
  crumbs.push(`<li aria-current="page">${esc(page.id)}</li>`);
  const formats = [`<a href="${esc(`${page.id}.md`)}" type="text/markdown">Markdown</a>`];
  if (links.api) formats.push(`<a href="${esc(`${base}api/techniques/${page.id}`)}" type="application/json">JSON</a>`);
  const head = `<nav class="crumbs" aria-label="Breadcrumb"><ol>${crumbs.join('')}</ol></nav>
<p class="formats">This page as ${formats.join(' · ')}</p>
`;
  const wrap = (body: string) => shell(model, links, { title: `${page.id}: ${page.name}`, base, page: 'technique', body: head + body });
  const overhead = Buffer.byteLength(wrap(''));
  const { html, deferred } = renderTechniqueBody(page, {
    base, ext: links.ext, usedBy: usedBy(model.kb, page.id), sourcesHref: base + topHref('sources', links), appendix,
  }, budget - overhead, base + techniqueDataPath(page.id));
  return { html: wrap(html), deferred };
}

export function techniquePage(model: SiteModel, page: Page, links: Links, appendix?: string): string {
  return techniquePageResult(model, page, links, PAGE_BUDGET, appendix).html;
}

/* ---------------------------------------------------------------- matrix */

/** What a matrix cell shows: its value as text (colour is never the only cue), its colour key, a tooltip. */
export interface CellScore {
  text: string;
  key: string;
  title: string;
}

function scoreText(data: MatrixData, measureIndex: number, value: number): CellScore {
  const m = data.measures[measureIndex]!;
  if (m.kind === 'outcome') return { text: m.short?.[value] ?? '', key: m.legend[value]?.key ?? '', title: m.legend[value]?.label ?? '' };
  if (m.kind === 'class') return { text: VALIDATION_COLORS[value]!.short, key: `v${value}`, title: VALIDATION_ORDER[value]! };
  const level = countLevel(value, m.edges);
  return { text: String(value), key: countKey(level, m.edges.length), title: `${value} ${m.label.toLowerCase()}` };
}

function cell(t: TechniqueSummary, score: (t: TechniqueSummary) => CellScore, label: string, links: Links, subs: TechniqueSummary[]): string {
  const s = score(t);
  const parts = [`<li class="cell${t.isSub ? ' sub' : ''}" data-tid="${esc(t.id)}" data-c="${esc(s.key)}">`,
    `<a href="${esc(techniqueHref(t.id, links))}"><span class="tid">${esc(t.id)}</span> <span class="tname">${esc(t.name)}</span></a>`,
    `<span class="score" title="${esc(s.title)}"><span class="sr-only"><span class="mlabel">${esc(label)}</span>: </span><span class="val">${esc(s.text)}</span></span>`];
  if (subs.length) {
    parts.push(`<details class="subs"><summary>${subs.length} sub-technique${subs.length === 1 ? '' : 's'}<span class="sr-only"> of ${esc(t.id)}</span></summary>`
      + `<ul>${subs.map((x) => cell(x, score, label, links, [])).join('')}</ul></details>`);
  }
  parts.push('</li>');
  return parts.join('');
}

const byName = (a: TechniqueSummary, b: TechniqueSummary) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);

export interface MatrixGrid {
  /** The tactic columns: `<section class="tactic">` elements. */
  html: string;
  techniques: number;
  subtechniques: number;
}

/**
 * The tactic columns of a domain's matrix, each cell scored by `score`: the matrix page colours
 * them by a measure, the coverage page (server) by own-rule coverage.
 */
export function matrixGrid(model: SiteModel, domain: Domain, links: Links, label: string, score: (t: TechniqueSummary) => CellScore): MatrixGrid {
  const active = model.summaries.filter((s) => s.domain === domain && s.status === 'active');
  const parents = active.filter((s) => !s.isSub);
  const subsOf = new Map<string, TechniqueSummary[]>();
  for (const s of active) if (s.isSub && s.parent) subsOf.set(s.parent, [...(subsOf.get(s.parent) ?? []), s]);
  const columns = model.tactics(domain).map((tactic) => {
    const cells = parents.filter((p) => p.tactics.includes(tactic.shortname)).sort(byName);
    const items = cells.map((p) => {
      const subs = (subsOf.get(p.id) ?? []).filter((s) => !s.tactics.length || s.tactics.includes(tactic.shortname)).sort(byName);
      return cell(p, score, label, links, subs);
    });
    return `<section class="tactic" aria-labelledby="tactic-${esc(tactic.id)}"><h2 id="tactic-${esc(tactic.id)}">${esc(tactic.name)} <span class="tid">${esc(tactic.id)}</span></h2>`
      + `<p class="count">${cells.length} technique${cells.length === 1 ? '' : 's'}</p><ul class="cells">${items.join('')}</ul></section>`;
  });
  return { html: columns.join('\n'), techniques: parents.length, subtechniques: active.length - parents.length };
}

/** `data`: the domain's matrix data with measures added (`--results`); by default the model's. */
export function matrixPage(model: SiteModel, domainPage: DomainPage, links: Links, data: MatrixData = model.matrixData(domainPage.domain)): string {
  const domain: Domain = domainPage.domain;
  const measureIndex = Math.max(0, data.measures.findIndex((m) => m.id === DEFAULT_MEASURE));
  const grid = matrixGrid(model, domain, links, data.measures[measureIndex]!.label,
    (t) => scoreText(data, measureIndex, data.values[t.id]?.[measureIndex] ?? 0));

  const fixed = data.measures.filter((m) => !m.id.startsWith('source-'));
  const perSource = data.measures.filter((m) => m.id.startsWith('source-'));
  const option = (m: { id: string; label: string }) => `<option value="${esc(m.id)}"${m.id === DEFAULT_MEASURE ? ' selected' : ''}>${esc(m.label)}</option>`;
  const select = `<select id="measure" name="measure">${fixed.map(option).join('')}`
    + (perSource.length ? `<optgroup label="Resources of one source">${perSource.map(option).join('')}</optgroup>` : '') + '</select>';
  // The static site writes a layer file for the fixed measures and, with --results, for the results measure.
  const layerMeasures = links.api ? data.measures.map((m) => m.id) : [...SITE_LAYER_MEASURES, ...data.measures.filter((m) => m.kind === 'outcome').map((m) => m.id)];
  const legend = data.measures[measureIndex]!.legend
    .map((l) => `<li><span class="swatch" data-c="${esc(l.key)}"></span>${esc(l.label)}</li>`).join('');
  const body = `<h1>${esc(domainPage.title)} ATT&amp;CK matrix</h1>
<p class="lead">${grid.techniques} techniques and ${grid.subtechniques} sub-techniques of ATT&amp;CK ${esc(model.kb.attackVersion)}, by tactic. Each cell links to the technique's page; open a cell's sub-techniques with its toggle.</p>
<form class="controls" id="matrix-controls"><label for="measure">Colour by</label> ${select}
<a id="layer-link" href="${esc(layerHref(links, domainPage.slug, DEFAULT_MEASURE))}" data-href="${esc(layerHref(links, domainPage.slug, '{measure}'))}" data-measures="${esc(layerMeasures.join(' '))}" download>ATT&amp;CK Navigator layer of this measure</a>
<button type="button" id="matrix-density" aria-pressed="true" hidden>Compact columns</button></form>
<section class="legend" aria-labelledby="legend-title"><h2 id="legend-title">Legend: <span id="legend-measure">${esc(data.measures[measureIndex]!.label)}</span></h2><ul id="legend">${legend}</ul></section>
<div class="matrix compact" role="region" aria-label="${esc(domainPage.title)} matrix" tabindex="0">
${grid.html}
</div>`;
  return shell(model, links, {
    title: `${domainPage.title} matrix`, base: '', page: 'matrix', body, current: domainPage.slug, data: [`data/matrix-${domainPage.slug}.js`],
  });
}

/* ---------------------------------------------------------------- search */

export function searchPage(model: SiteModel, links: Links): string {
  const body = `<h1>Search</h1>
<form id="search-form" role="search" method="get" action="${esc(topHref('search', links))}">
<label for="search-input">Technique id or name, or the title of a control, rule or test</label>
<div class="search-row"><input id="search-input" name="q" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="search-results" autocomplete="off" spellcheck="false" maxlength="200">
<button type="submit">Open first result</button></div>
<p class="hint" id="search-hint">Results appear as you type. Up and down arrows move through them; Enter opens the highlighted one.</p>
</form>
<p id="search-status" role="status" aria-live="polite"></p>
<ul id="search-results" role="listbox" aria-label="Search results"></ul>
<noscript><p>Search runs in your browser and needs JavaScript. The matrices and technique pages work without it.</p></noscript>`;
  // The index loads on the first query (technique list, then one shard), not with the page.
  return shell(model, links, { title: 'Search', base: '', page: 'search', body, current: 'search', headerSearch: false });
}

/* ---------------------------------------------------------------- index */

/** The server computes coverage on its Coverage page; the static site (no server) points to the command line. */
function coverageIntro(links: Links): string {
  if (links.api) {
    return `<p><a href="${esc(topHref('coverage', links))}">Coverage</a>: pick a threat, give your detection rules, and see which of its techniques they cover, `
      + 'the gaps in priority order, a Navigator layer and CSV to download, and the purple-team test plan.</p>';
  }
  return '<p>Computing the coverage of your own detection rules needs Purplebook itself: <code>purplebook coverage --rules DIR --group G0016</code> '
    + '(report, CSV or Navigator layer), <code>purplebook plan --group G0016</code> (test plan), or the Coverage page of <code>purplebook serve</code>, '
    + 'which reads rule files in the browser. This static site has no server to compute it.</p>';
}

/** `layerMeasures`: the layers listed per domain; `site --results` and `serve --results` add the results layer. */
export function indexPage(model: SiteModel, links: Links, layerMeasures: readonly string[] = SITE_LAYER_MEASURES): string {
  const rows = model.domains().map((d) => {
    const active = model.summaries.filter((s) => s.domain === d.domain && s.status === 'active');
    const counts = VALIDATION_ORDER.map((v) => active.filter((s) => s.summary.validation === v).length);
    return `<tr><th scope="row"><a href="${esc(topHref(d.slug, links))}">${esc(d.title)}</a></th><td>${active.filter((s) => !s.isSub).length}</td><td>${active.filter((s) => s.isSub).length}</td>`
      + counts.map((n) => `<td>${n}</td>`).join('') + '</tr>';
  }).join('\n');
  const layers = model.domains().map((d) => `<li>${esc(d.title)}: ${layerMeasures.map((m) => `<a href="${esc(layerHref(links, d.slug, m))}" download>${esc(m)}</a>`).join(', ')}</li>`).join('');
  const inactive = model.summaries.filter((s) => s.status !== 'active');
  const inactiveList = inactive.map((s) => `<li><a href="${esc(techniqueHref(s.id, links))}">${esc(s.id)}: ${esc(s.name)}</a> (${esc(s.status)})</li>`).join('');
  const body = `<h1>Purplebook</h1>
<p class="lead">For every MITRE ATT&amp;CK technique: what stops it, what detects it, and how to test it — from public upstream repositories.</p>
<section aria-labelledby="matrices"><h2 id="matrices">Matrices</h2>
<div class="table-wrap" role="region" aria-labelledby="matrices" tabindex="0"><table><thead><tr><th scope="col">Domain</th><th scope="col">Techniques</th><th scope="col">Sub-techniques</th>
${VALIDATION_ORDER.map((v) => `<th scope="col">${esc(v)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></div></section>
<section aria-labelledby="find"><h2 id="find">Find a technique</h2><p><a href="${esc(topHref('search', links))}">Search</a> technique ids, names and the titles of every control, rule and test.</p></section>
<section aria-labelledby="own"><h2 id="own">Coverage of your own rules</h2>${coverageIntro(links)}</section>
<section aria-labelledby="layers"><h2 id="layers">ATT&amp;CK Navigator layers</h2><p>Download a layer and open it in the ATT&amp;CK Navigator (“Open Existing Layer”).</p><ul>${layers}</ul></section>
<section aria-labelledby="inactive"><h2 id="inactive">Revoked and deprecated techniques</h2><details><summary>${inactive.length} techniques: their pages say what replaces them</summary><ul class="columns">${inactiveList}</ul></details></section>`;
  return shell(model, links, { title: 'Purplebook', base: '', page: 'index', body, current: 'index' });
}

/* ---------------------------------------------------------------- errors (server) */

export function errorPage(model: SiteModel, links: Links, status: number, message: string, base: string): string {
  const body = `<h1>${status === 404 ? 'Not found' : 'Bad request'}</h1><p>${esc(message)}</p><p><a href="${esc(base + topHref('search', links))}">Search</a> or go to the <a href="${esc(base + topHref('index', links))}">start page</a>.</p>`;
  return shell(model, links, { title: status === 404 ? 'Not found' : 'Bad request', base, page: 'error', body });
}
