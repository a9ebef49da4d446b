/** The site's stylesheet and script, served as separate files (no inline style or script). */
import { coverageClient } from './coverage-client.js';
import { purplebookClient } from './client.js';
import { techniqueClient } from './technique-client.js';
import { createSearch } from '../search/rank.js';
import { assembleSearchIndex, searchPieces } from './search-assemble.js';
import { COUNT_COLORS, VALIDATION_COLORS } from '../render/palette.js';
import { resultsPaletteCss } from '../results/matrix.js';

function paletteCss(): string {
  const rules: string[] = [];
  COUNT_COLORS.forEach((c, i) => rules.push(`[data-c="m${i}"] { background: ${c.fill}; color: ${c.text}; }`));
  VALIDATION_COLORS.forEach((c, i) => rules.push(`[data-c="v${i}"] { background: ${c.fill}; color: ${c.text}; }`));
  rules.push(resultsPaletteCss());
  // Links inside a dark cell must follow the cell's text colour to keep their contrast.
  rules.push('.cell[data-c] > a, .cell[data-c] > .score { color: inherit; }');
  return rules.join('\n');
}

/** Theme colours: light by default, dark when the system asks (unless the reader chose light) or the reader chose dark. */
const LIGHT = {
  fg: '#1b1b1b', muted: '#4a4a4a', bg: '#ffffff', surface: '#f7f5fa', accent: '#5b2a91', 'accent-fg': '#ffffff', line: '#c8c8c8', focus: '#0b57d0',
  code: '#f4f4f4', fact: '#f1f1f1', flag: '#fbe3a4', chip: '#ebe1f5', thead: '#f1ecf7', 'input-bg': '#ffffff', 'input-line': '#767676', bar: '#7d4bb3',
  quote: '#2d2d2d', selected: '#ebe1f5', loaded: '#e3f2df', absent: '#f4f4f4', error: '#8a1c1c',
};
const DARK: typeof LIGHT = {
  fg: '#e9e6ee', muted: '#b9b3c2', bg: '#15131a', surface: '#1f1c26', accent: '#c7a4f5', 'accent-fg': '#15131a', line: '#4d4757', focus: '#8ab4f8',
  code: '#25222d', fact: '#2b2733', flag: '#5c4a14', chip: '#372c47', thead: '#2a2334', 'input-bg': '#1f1c26', 'input-line': '#8d8698', bar: '#b48fd8',
  quote: '#d8d3df', selected: '#3b2f4e', loaded: '#1f3a1c', absent: '#26232c', error: '#ff9c9c',
};
const vars = (theme: typeof LIGHT) => Object.entries(theme).map(([k, v]) => `--${k}: ${v};`).join(' ');

export const SITE_CSS = `/* Purplebook site */
:root { ${vars(LIGHT)} color-scheme: light; }
@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) { ${vars(DARK)} color-scheme: dark; } }
:root[data-theme="dark"] { ${vars(DARK)} color-scheme: dark; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); line-height: 1.45; }
body { margin: 0; overflow-wrap: break-word; }
/* Layout rules (display: flex) must not undo the hidden attribute the scripts set. */
[hidden] { display: none !important; }
a { color: var(--accent); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--bg); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
header.site { display: flex; flex-wrap: wrap; gap: .5rem 2rem; align-items: center; justify-content: space-between; padding: .6rem 1rem; border-bottom: 3px solid var(--accent); }
header.site nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1.1rem; margin: 0; padding: 0; }
header.site nav a { font-weight: 600; text-decoration: none; }
header.site nav a[aria-current="page"] { text-decoration: underline; text-underline-offset: .3em; }
.header-tools { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; min-width: 0; }
.header-search { display: flex; gap: .4rem; align-items: center; min-width: 0; }
.header-search input { min-width: 0; width: 12rem; max-width: 100%; }
.header-search label { position: absolute; left: -9999px; }
input, select, button { font: inherit; color: var(--fg); }
input[type="search"], input[type="text"], select { border: 1px solid var(--input-line); border-radius: 4px; padding: .3rem .5rem; background: var(--input-bg); max-width: 100%; }
button { border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); border-radius: 4px; padding: .3rem .8rem; cursor: pointer; }
button.theme-toggle, button.copy, form.filters button, #matrix-density { background: transparent; color: var(--accent); }
#matrix-density[aria-pressed="true"] { background: var(--chip); }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; min-width: 0; }
body[data-page="matrix"] main, body[data-page="coverage"] main { max-width: none; }
main:focus { outline: none; }
footer.site { border-top: 1px solid var(--line); padding: .5rem 1rem; color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.7rem; margin: .4rem 0 .8rem; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
.lead { color: var(--muted); max-width: 70ch; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
code { overflow-wrap: anywhere; }
:not(pre) > code { background: var(--code); border-radius: 3px; padding: 0 .2em; }
pre { background: var(--code); padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; max-width: 100%; }
blockquote { border-left: 4px solid var(--line); margin: .5rem 0; padding: .1rem 1rem; color: var(--quote); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--thead); }
.table-wrap { overflow-x: auto; max-width: 100%; }
dl.facts, dl.counts { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr); gap: .15rem 1rem; }
dl.facts dt, dl.counts dt { font-weight: 600; }
dl.facts dd, dl.counts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 32rem) { dl.facts, dl.counts { grid-template-columns: minmax(0, 1fr); } dl.facts dd, dl.counts dd { margin-left: .8rem; } }
ul.columns { columns: 3 18rem; }

/* technique page */
.crumbs ol { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem; padding: 0; margin: 0; font-size: .95rem; }
.crumbs li + li::before { content: "›"; margin-right: .3rem; color: var(--muted); }
.formats { font-size: .9rem; color: var(--muted); }
.validation { font-size: 1.05rem; }
.overview p { margin: .3rem 0; }
nav.jump ul { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; margin: .6rem 0; }
nav.jump a { font-weight: 600; }
.pillars-summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 17rem), 1fr)); gap: .3rem 1.5rem; margin: .5rem 0 1rem; }
.pillar-bars h3 { font-size: 1rem; margin: .6rem 0 .3rem; }
.pillar-bars .total { font-weight: 400; color: var(--muted); font-size: .9rem; }
.pillar-bars .none { color: var(--muted); font-size: .9rem; margin: 0; }
ul.bars { list-style: none; padding: 0; margin: 0; }
ul.bars a { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 6rem) 2.6rem; align-items: center; gap: .5rem; text-decoration: none; color: var(--fg); font-size: .88rem; padding: .08rem .2rem; border-radius: 3px; }
ul.bars a:hover { background: var(--chip); }
ul.bars .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
ul.bars .bar { display: block; height: .6rem; background: var(--bar); border-radius: 2px; width: 0; }
${Array.from({ length: 10 }, (_, i) => `ul.bars .bar[data-w="${i + 1}"] { width: ${(i + 1) * 10}%; }`).join('\n')}
ul.bars .n { text-align: right; font-variant-numeric: tabular-nums; }
section.used-by details { margin: .3rem 0; }
section.used-by summary { font-weight: 600; }
ul.actor-list { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem .35rem; padding: 0; margin: .3rem 0 .6rem; }
ul.actor-list li { background: var(--chip); border-radius: 1rem; padding: .05rem .6rem; font-size: .85rem; }
ul.actor-list .aid { color: var(--muted); font-size: .78rem; }
blockquote.description ul, blockquote.description ol { padding-left: 1.3rem; }
.subhead { margin-bottom: .2rem; }
section.pillar { border-top: 2px solid var(--accent); margin-top: 1.5rem; }
section.source { margin-left: .5rem; }
.empty-sources, .none { color: var(--muted); font-size: .92rem; }
ul.items { padding-left: 1.2rem; }
ul.items li { margin: .25rem 0; }
.crumbs-inline, .crumbs { color: var(--muted); }
.fact { display: inline-block; font-size: .85rem; background: var(--fact); border-radius: 3px; padding: 0 .35rem; margin: 0 .15rem; max-width: 100%; overflow-wrap: anywhere; }
.flag { display: inline-block; font-size: .85rem; background: var(--flag); border-radius: 3px; padding: 0 .35rem; margin-left: .3rem; }
details > summary { cursor: pointer; }
li.res > details { margin: .15rem 0 .15rem .6rem; }
li.res > details > summary { font-size: .88rem; color: var(--muted); }
li.res dl { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr); gap: .1rem .8rem; margin: .3rem 0; font-size: .9rem; }
li.res dl dt { font-weight: 600; }
li.res dl dd { margin: 0; min-width: 0; white-space: pre-line; }
@media (max-width: 32rem) { li.res dl { grid-template-columns: minmax(0, 1fr); } }
.code-box { position: relative; }
.code-box pre { padding-right: 4.8rem; max-height: 28rem; overflow: auto; margin: .3rem 0; }
button.copy { position: absolute; top: .3rem; right: .3rem; font-size: .8rem; padding: .1rem .5rem; background: var(--bg); }
.more-items { margin: .2rem 0 .6rem 1.2rem; }
.status { background: var(--flag); padding: .4rem .6rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: flex-end; padding: .5rem .7rem; margin: 1rem 0; border: 1px solid var(--line); border-radius: 6px; background: var(--surface); }
form.filters label { display: flex; flex-direction: column; font-size: .85rem; font-weight: 600; min-width: 0; }
form.filters select { max-width: 15rem; font-weight: 400; }
.filter-status { flex-basis: 100%; margin: 0; color: var(--muted); font-size: .9rem; }
.filter-status:empty { display: none; }

/* matrix */
.controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0; }
.legend h2 { font-size: 1rem; margin: .5rem 0 .3rem; }
.legend ul { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; margin: 0 0 .8rem; }
.swatch { display: inline-block; width: 1.1rem; height: 1.1rem; border: 1px solid #767676; vertical-align: -.2rem; margin-right: .35rem; }
.matrix { display: flex; gap: .4rem; overflow-x: auto; padding-bottom: 1rem; align-items: flex-start; max-width: 100%; }
.tactic { flex: 0 0 10.5rem; min-width: 10.5rem; }
.tactic h2 { font-size: .95rem; margin: 0; padding: .35rem; background: #2d2d2d; color: #fff; min-height: 3.6rem; }
.tactic h2 .tid { display: block; font-weight: 400; font-size: .8rem; }
.tactic .count { font-size: .8rem; color: var(--muted); margin: .2rem 0; }
ul.cells, .cell ul { list-style: none; margin: 0; padding: 0; }
.cell { border: 1px solid #9a9a9a; margin: 0 0 .25rem; padding: .25rem .3rem; font-size: .82rem; position: relative; }
.cell.sub { margin: .2rem 0 .2rem .4rem; }
.cell > a { display: block; text-decoration: none; padding-right: 2.4rem; }
.cell > a:hover .tname { text-decoration: underline; }
.cell .tid { font-weight: 700; display: block; font-size: .75rem; }
.cell .score { position: absolute; right: .3rem; top: .25rem; font-size: .75rem; font-weight: 700; }
.cell details.subs summary { font-size: .75rem; margin-top: .2rem; }
/* Compact columns: the 15 enterprise tactics side by side on a 1440 px screen. Narrow screens keep wide columns and scroll the matrix itself. */
@media (min-width: 64rem) {
  .matrix.compact { gap: .2rem; overflow-x: visible; }
  .matrix.compact .tactic { flex: 1 1 0; min-width: 0; }
  .matrix.compact .tactic h2 { font-size: .74rem; min-height: 3.2rem; padding: .25rem; overflow-wrap: anywhere; hyphens: auto; }
  .matrix.compact .tactic h2 .tid { font-size: .68rem; }
  .matrix.compact .cell { font-size: .7rem; padding: .15rem .2rem; hyphens: auto; overflow-wrap: anywhere; }
  .matrix.compact .cell > a { padding-right: 0; }
  .matrix.compact .cell .tid { font-size: .66rem; }
  .matrix.compact .cell .score { position: static; display: block; text-align: right; font-size: .66rem; }
  .matrix.compact .cell.sub { margin-left: .15rem; }
  .matrix.compact .cell details.subs summary { font-size: .66rem; }
}
${paletteCss()}

/* search */
#search-form > label { display: block; margin-bottom: .35rem; font-weight: 600; }
.search-row { display: flex; gap: .5rem; flex-wrap: wrap; }
#search-input { flex: 1 1 12rem; min-width: 0; font-size: 1.1rem; padding: .4rem .6rem; }
.hint { color: var(--muted); font-size: .9rem; }
#search-results { list-style: none; padding: 0; margin: 0; }
#search-results li { padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
#search-results li[aria-selected="true"] { background: var(--selected); outline: 2px solid var(--accent); }
#search-results .title { font-weight: 600; display: block; }
#search-results .detail { color: var(--muted); font-size: .9rem; }
tr.absent { color: var(--muted); }

/* sources */
.source-card { border-top: 1px solid var(--line); margin: 1rem 0; padding-top: .2rem; }
.source-card h3 { margin-top: .6rem; }
td.state[data-state="loaded"] { background: var(--loaded); }
td.state[data-state="unavailable"], td.state[data-state="absent"] { background: var(--absent); }
/* coverage (server) */
.coverage-form fieldset { border: 1px solid var(--line); margin: 0 0 1rem; padding: .5rem 1rem 1rem; min-width: 0; }
.coverage-form legend { font-weight: 700; padding: 0 .3rem; }
.coverage-form label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
.coverage-form input[type="text"] { min-width: min(22rem, 100%); }
.coverage-form input[type="file"] { max-width: 100%; }
.coverage-form textarea, #telemetry-profile { width: 100%; max-width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; }
.picker { position: relative; max-width: 40rem; }
#threat-options { list-style: none; margin: 0; padding: 0; border: 1px solid var(--input-line); background: var(--input-bg); position: absolute; z-index: 5; left: 0; right: 0; max-height: 20rem; overflow-y: auto; }
#threat-options li { padding: .3rem .5rem; cursor: pointer; border-bottom: 1px solid var(--line); }
#threat-options li[aria-selected="true"], #threat-options li:hover { background: var(--selected); }
#threat-options .title { display: block; font-weight: 600; }
#threat-options .detail { color: var(--muted); font-size: .9rem; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; padding: 0; margin: .5rem 0; }
.chip { background: var(--chip); border-radius: 1rem; padding: .15rem .2rem .15rem .7rem; display: inline-flex; align-items: center; gap: .3rem; }
.chip .remove { background: transparent; color: var(--fg); border: 0; padding: 0 .4rem; font-size: 1.1rem; line-height: 1; }
ul.source-chips { list-style: none; display: flex; flex-wrap: wrap; gap: .2rem; padding: 0; margin: 0; }
ul.source-chips li { background: var(--chip); border-radius: .8rem; padding: 0 .5rem; font-size: .82rem; white-space: nowrap; }
.actions, .downloads { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 1rem; }
button:disabled { opacity: .6; cursor: progress; }
#coverage-status.error { color: var(--error); font-weight: 600; }
.heatmap { margin-bottom: 1rem; }
.heatmap.only-threat li.cell[data-status="out"] { display: none; }
.plan-technique { border-bottom: 1px solid var(--line); padding: .3rem 0; }
.plan-technique summary .tid { font-weight: 700; }
.plan-list h5 { margin: .4rem 0 .2rem; font-size: .95rem; }
.plan-list .source { color: var(--muted); }
/* line-up (server) */
body[data-page="lineup"] main { max-width: none; }
.coverage-form ul.checks { list-style: none; columns: 3 18rem; padding: 0; margin: .3rem 0; }
.coverage-form ul.checks li { break-inside: avoid; margin: .1rem 0; }
.coverage-form ul.checks label, #lineup-form p label { display: inline; font-weight: 400; margin: 0; }
.stack-pillar { border: 0; padding: 0; margin: .4rem 0; }
#lineup-error { color: #8a1c1c; font-weight: 600; }
.plan-list li label { display: inline; font-weight: 400; }

/* print: A4 and Letter, light colours, no navigation or controls, cells keep their colours */
@media print {
  @page { margin: 14mm 12mm; }
  :root:not(#print) { ${vars(LIGHT)} color-scheme: light; }
  html { font-size: 10pt; }
  header.site, footer.site, .skip, .controls, form.filters, nav.jump, nav.crumbs, .formats, button, .more-items, .downloads, .actions, #coverage-form { display: none !important; }
  main { max-width: none; padding: 0; }
  a { color: inherit; }
  h1, h2, h3 { break-after: avoid; }
  li, dl.counts, .pillar-bars, tr { break-inside: avoid; }
  li.res > details:not([open]), details.lazy { display: none; }
  pre { white-space: pre-wrap; max-height: none; overflow: visible; }
  .matrix, .matrix.compact { overflow: visible; flex-wrap: wrap; }
  [data-c], .swatch, ul.bars .bar { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .table-wrap { overflow: visible; }
}
`;

/** The client functions as standalone scripts (the site script handed the shared search ranking); the wrappers keep them out of the global scope. */
export const SITE_JS = `/* Purplebook site script: theme, matrix colouring, offline search, technique page filters and copy buttons. */
"use strict";
(${purplebookClient.toString()})(${createSearch.toString()}, ${assembleSearchIndex.toString()}, ${searchPieces.toString()});
(${techniqueClient.toString()})();
`;

/** The coverage page's script (served by the server only: the static site has no coverage page). */
export const COVERAGE_JS = `/* Purplebook coverage page: threat picker, rule upload, heatmap, downloads, plan. */
"use strict";
(${coverageClient.toString()})();
`;

/** A small icon, so browsers do not ask for a missing /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#5b2a91"/><path d="M5 3h4a3 3 0 0 1 0 6H7v4H5z" fill="#fff"/></svg>
`;
