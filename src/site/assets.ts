/** The site's stylesheet and script, served as separate files (no inline style or script). */
import { coverageClient } from './coverage-client.js';
import { purplebookClient } from './client.js';
import { createSearch } from '../search/rank.js';
import { COUNT_COLORS, VALIDATION_COLORS } from './measures.js';

function paletteCss(): string {
  const rules: string[] = [];
  COUNT_COLORS.forEach((c, i) => rules.push(`[data-c="m${i}"] { background: ${c.fill}; color: ${c.text}; }`));
  VALIDATION_COLORS.forEach((c, i) => rules.push(`[data-c="v${i}"] { background: ${c.fill}; color: ${c.text}; }`));
  // Links inside a dark cell must follow the cell's text colour to keep their contrast.
  rules.push('.cell[data-c] > a, .cell[data-c] > .score { color: inherit; }');
  return rules.join('\n');
}

export const SITE_CSS = `/* Purplebook site */
:root { --fg: #1b1b1b; --muted: #4a4a4a; --bg: #ffffff; --accent: #5b2a91; --line: #c8c8c8; --focus: #0b57d0; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); line-height: 1.45; }
body { margin: 0; }
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
.header-search { display: flex; gap: .4rem; align-items: center; }
.header-search label { position: absolute; left: -9999px; }
input, select, button { font: inherit; color: var(--fg); }
input[type="search"], select { border: 1px solid #767676; border-radius: 4px; padding: .3rem .5rem; background: #fff; }
button { border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; padding: .3rem .8rem; cursor: pointer; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
body[data-page="matrix"] main, body[data-page="coverage"] main { max-width: none; }
main:focus { outline: none; }
footer.site { border-top: 1px solid var(--line); padding: .5rem 1rem; color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.7rem; margin: .4rem 0 .8rem; }
h2 { font-size: 1.3rem; margin: 1.6rem 0 .6rem; }
h3 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
.lead { color: var(--muted); max-width: 70ch; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: #f4f4f4; padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
blockquote { border-left: 4px solid var(--line); margin: .5rem 0; padding: .1rem 1rem; color: #2d2d2d; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f1ecf7; }
.table-wrap { overflow-x: auto; }
dl.facts, dl.counts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.facts dt, dl.counts dt { font-weight: 600; }
dl.facts dd, dl.counts dd { margin: 0; }
ul.columns { columns: 3 18rem; }

/* technique page */
.crumbs ol { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem; padding: 0; margin: 0; font-size: .95rem; }
.crumbs li + li::before { content: "›"; margin-right: .3rem; color: var(--muted); }
.formats { font-size: .9rem; color: var(--muted); }
.validation { font-size: 1.05rem; }
section.pillar { border-top: 2px solid var(--accent); margin-top: 1.5rem; }
section.source { margin-left: .5rem; }
ul.items { padding-left: 1.2rem; }
ul.items li { margin: .25rem 0; }
.crumbs-inline, .crumbs { color: var(--muted); }
.fact { display: inline-block; font-size: .85rem; background: #f1f1f1; border-radius: 3px; padding: 0 .35rem; margin: 0 .15rem; }
.flag { display: inline-block; font-size: .85rem; background: #fbe3a4; border-radius: 3px; padding: 0 .35rem; margin-left: .3rem; }
details > summary { cursor: pointer; }
.status { background: #fbe3a4; padding: .4rem .6rem; }

/* matrix */
.controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0; }
.legend h2 { font-size: 1rem; margin: .5rem 0 .3rem; }
.legend ul { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; margin: 0 0 .8rem; }
.swatch { display: inline-block; width: 1.1rem; height: 1.1rem; border: 1px solid #767676; vertical-align: -.2rem; margin-right: .35rem; }
.matrix { display: flex; gap: .4rem; overflow-x: auto; padding-bottom: 1rem; align-items: flex-start; }
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
${paletteCss()}

/* search */
#search-form > label { display: block; margin-bottom: .35rem; font-weight: 600; }
.search-row { display: flex; gap: .5rem; }
#search-input { flex: 1; font-size: 1.1rem; padding: .4rem .6rem; }
.hint { color: var(--muted); font-size: .9rem; }
#search-results { list-style: none; padding: 0; margin: 0; }
#search-results li { padding: .35rem .5rem; border-bottom: 1px solid #e4e4e4; }
#search-results li[aria-selected="true"] { background: #ebe1f5; outline: 2px solid var(--accent); }
#search-results .title { font-weight: 600; display: block; }
#search-results .detail { color: var(--muted); font-size: .9rem; }
tr.absent { color: var(--muted); }

/* sources */
.source-card { border-top: 1px solid var(--line); margin: 1rem 0; padding-top: .2rem; }
.source-card h3 { margin-top: .6rem; }
td.state[data-state="loaded"] { background: #e3f2df; }
td.state[data-state="unavailable"], td.state[data-state="absent"] { background: #f4f4f4; }
/* coverage (server) */
.coverage-form fieldset { border: 1px solid var(--line); margin: 0 0 1rem; padding: .5rem 1rem 1rem; }
.coverage-form legend { font-weight: 700; padding: 0 .3rem; }
.coverage-form label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
.coverage-form input[type="text"] { border: 1px solid #767676; border-radius: 4px; padding: .3rem .5rem; min-width: 22rem; max-width: 100%; }
.picker { position: relative; max-width: 40rem; }
#threat-options { list-style: none; margin: 0; padding: 0; border: 1px solid #767676; background: #fff; position: absolute; z-index: 5; left: 0; right: 0; max-height: 20rem; overflow-y: auto; }
#threat-options li { padding: .3rem .5rem; cursor: pointer; border-bottom: 1px solid #e4e4e4; }
#threat-options li[aria-selected="true"], #threat-options li:hover { background: #ebe1f5; }
#threat-options .title { display: block; font-weight: 600; }
#threat-options .detail { color: var(--muted); font-size: .9rem; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; padding: 0; margin: .5rem 0; }
.chip { background: #ebe1f5; border-radius: 1rem; padding: .15rem .2rem .15rem .7rem; display: inline-flex; align-items: center; gap: .3rem; }
.chip .remove { background: transparent; color: var(--fg); border: 0; padding: 0 .4rem; font-size: 1.1rem; line-height: 1; }
.actions, .downloads { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 1rem; }
button:disabled { opacity: .6; cursor: progress; }
#coverage-status.error { color: #8a1c1c; font-weight: 600; }
.heatmap { margin-bottom: 1rem; }
.plan-technique { border-bottom: 1px solid #e4e4e4; padding: .3rem 0; }
.plan-technique summary .tid { font-weight: 700; }
.plan-list h5 { margin: .4rem 0 .2rem; font-size: .95rem; }
.plan-list .source { color: var(--muted); }
@media print { header.site, footer.site, .controls { display: none; } }
`;

/** The client function as a standalone script, handed the shared search ranking; the wrapper keeps both out of the global scope. */
export const SITE_JS = `/* Purplebook site script: matrix colouring and offline search. */
"use strict";
(${purplebookClient.toString()})(${createSearch.toString()});
`;

/** The coverage page's script (served by the server only: the static site has no coverage page). */
export const COVERAGE_JS = `/* Purplebook coverage page: threat picker, rule upload, heatmap, downloads, plan. */
"use strict";
(${coverageClient.toString()})();
`;

/** A small icon, so browsers do not ask for a missing /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#5b2a91"/><path d="M5 3h4a3 3 0 0 1 0 6H7v4H5z" fill="#fff"/></svg>
`;
