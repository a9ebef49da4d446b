/**
 * The line-up page of the server: a threat, a control stack chosen with checkboxes grouped by
 * pillar, a sort; the heatmap of the threat's techniques by validation class for that stack, the
 * totals, and the techniques in the chosen order with their per-source counts. The form is a plain
 * GET form: the URL holds the whole view (share it, reload it), and the page needs no script.
 */
import type { Lineup, LineupRow } from '../coverage/lineup.js';
import { LINEUP_SORTS } from '../coverage/lineup.js';
import { esc } from '../render/escape.js';
import { lineupScope, lineupTotalsText, tacticNamesOf } from '../render/lineup.js';
import { PILLARS } from '../core/types.js';
import { techniqueHref, type Links } from './layout.js';
import { VALIDATION_ORDER } from '../page/measures.js';
import { VALIDATION_COLORS } from '../render/palette.js';
import type { SiteModel } from './model.js';
import { matrixGrid } from './pages.js';
import { shell } from './shell.js';

/** What the form holds: the query string of the page, and of /api/lineup. */
export interface LineupForm {
  group: string[];
  software: string[];
  campaign: string[];
  techniques: string[];
  /** Checked sources; empty means every loaded source. */
  stack: string[];
  sort: string;
  tactic: string[];
  lowestLevel: boolean;
  /** Domain slug: enterprise, mobile, ics. */
  domain: string;
}

/** Rows listed in the table; the totals, heatmap and downloads cover every row. */
export const LINEUP_TABLE_MAX = 300;

const SORT_LABELS: Record<string, string> = {
  rules: 'detection rules', tests: 'tests', controls: 'controls', total: 'total (controls + rules + tests)', score: 'intel score', id: 'ATT&CK id',
};

/** The query string that reproduces a form (also the downloads' query, with a format). */
export function lineupQuery(f: LineupForm, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const g of f.group) q.append('group', g);
  for (const s of f.software) q.append('software', s);
  for (const c of f.campaign) q.append('campaign', c);
  for (const t of f.techniques) q.append('techniques', t);
  for (const s of f.stack) q.append('stack', s);
  q.set('sort', f.sort);
  for (const t of f.tactic) q.append('tactic', t);
  if (f.lowestLevel) q.set('lowestLevel', 'true');
  q.set('domain', f.domain);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function stackFieldset(model: SiteModel, f: LineupForm): string {
  const loaded = model.kb.sources().filter((s) => s.loaded);
  const all = !f.stack.length;
  return `<fieldset id="stack-choice"><legend>2. Control stack: the sources you own or trust</legend>
<p class="hint">Every count, class and order below uses the checked sources only. None checked means every source.</p>
${PILLARS.map(({ pillar, heading }) => {
    const list = loaded.filter((s) => s.pillar === pillar);
    if (!list.length) return '';
    return `<fieldset class="stack-pillar" data-pillar="${esc(pillar)}"><legend>${esc(heading)}</legend><ul class="checks">${list.map((s) => {
      const id = `stack-${s.name}`;
      const checked = all || f.stack.includes(s.name) ? ' checked' : '';
      const kind = s.detectionKind === 'guidance' ? ' <span class="hint">(guidance, not counted)</span>' : '';
      return `<li><input type="checkbox" name="stack" value="${esc(s.name)}" id="${esc(id)}"${checked}> <label for="${esc(id)}">${esc(s.title)}</label>${kind}</li>`;
    }).join('')}</ul></fieldset>`;
  }).join('\n')}
</fieldset>`;
}

function formHtml(model: SiteModel, f: LineupForm): string {
  const domains = model.domains();
  const domain = domains.find((d) => d.slug === f.domain)?.domain ?? 'enterprise-attack';
  const tactics = model.tactics(domain);
  const option = (value: string, label: string, selected: boolean) => `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(label)}</option>`;
  return `<form id="lineup-form" class="coverage-form" method="get" action="lineup">
<fieldset><legend>1. Threat</legend>
<label for="lineup-group">ATT&amp;CK groups: ids, names or aliases, comma-separated</label>
<input id="lineup-group" name="group" type="text" maxlength="200" value="${esc(f.group.join(', '))}" placeholder="G0016, APT28">
<label for="lineup-software">Software</label>
<input id="lineup-software" name="software" type="text" maxlength="200" value="${esc(f.software.join(', '))}" placeholder="S0002">
<label for="lineup-techniques">Or technique ids</label>
<input id="lineup-techniques" name="techniques" type="text" maxlength="2000" value="${esc(f.techniques.join(', '))}" placeholder="T1003, T1059.001">
<p class="hint">Empty: every technique of the domain. The command line also takes a Navigator layer with intel scores: <code>purplebook lineup --techniques layer.json --sort score</code>.</p>
</fieldset>
${stackFieldset(model, f)}
<fieldset><legend>3. Order and scope</legend>
<label for="lineup-sort">Sort by</label> <select id="lineup-sort" name="sort">${LINEUP_SORTS.filter((s) => s !== 'score').map((s) => option(s, SORT_LABELS[s]!, s === f.sort)).join('')}</select>
<label for="lineup-tactic">Tactic</label> <select id="lineup-tactic" name="tactic">${option('', 'every tactic', !f.tactic.length)}${tactics.map((t) => option(t.shortname, `${t.name} (${t.id})`, f.tactic.includes(t.shortname))).join('')}</select>
<label for="lineup-domain">Domain</label> <select id="lineup-domain" name="domain">${domains.map((d) => option(d.slug, d.title, d.slug === f.domain)).join('')}</select>
<p><input type="checkbox" id="lineup-lowest" name="lowestLevel" value="true"${f.lowestLevel ? ' checked' : ''}> <label for="lineup-lowest">Lowest level: sub-techniques where they exist, the technique otherwise</label></p>
</fieldset>
<div class="actions"><button type="submit" id="run-lineup">Line up</button></div>
</form>`;
}

function rowHtml(l: Lineup, r: LineupRow, links: Links): string {
  const sources = r.sources.length
    ? `<details><summary>${r.sources.length} source${r.sources.length === 1 ? '' : 's'}</summary><ul>${r.sources.map((s) => `<li data-source="${esc(s.source)}">${esc(s.title)}: ${s.count}${s.guidance ? ` (${s.guidance} guidance)` : ''}</li>`).join('')}</ul></details>`
    : '–';
  return `<tr data-tid="${esc(r.id)}"><td>${r.rank}</td><td><a href="${esc(techniqueHref(r.id, links))}">${esc(r.id)}</a> ${esc(r.name)}</td>`
    + `<td>${esc(tacticNamesOf(l, r).join(', '))}</td><td>${r.controls}</td><td>${r.rules}</td><td>${r.tests}</td><td>${r.total}</td>`
    + `<td data-validation="${esc(r.validation)}">${esc(r.validation)}</td><td>${sources}</td></tr>`;
}

function resultHtml(model: SiteModel, l: Lineup, f: LineupForm, links: Links): string {
  const byId = new Map(l.rows.map((r) => [r.id, r]));
  const grid = matrixGrid(model, l.domain, links, 'Validation for the stack', (t) => {
    const r = byId.get(t.id);
    if (!r) return { text: '–', key: 'm0', title: 'not in this line-up' };
    const v = VALIDATION_ORDER.indexOf(r.validation);
    return { text: VALIDATION_COLORS[v]!.short, key: `v${v}`, title: `${r.validation}: ${r.controls} controls · ${r.rules} rules · ${r.tests} tests` };
  });
  const legend = [...VALIDATION_ORDER.map((label, i) => [`v${i}`, label]), ['m0', 'not in this line-up ("–")']]
    .map(([key, label]) => `<li><span class="swatch" data-c="${esc(key)}"></span>${esc(label)}</li>`).join('');
  const shown = l.rows.slice(0, LINEUP_TABLE_MAX);
  const more = l.rows.length > shown.length ? `<p>${l.rows.length - shown.length} more techniques: download the CSV or JSON for all of them.</p>` : '';
  const stack = l.stack ? `Control stack: ${esc(l.stack.sources.join(', '))}.` : 'Every loaded source.';
  const t = l.totals;
  return `<section id="lineup-result" aria-labelledby="lineup-title">
<h2 id="lineup-title">${esc(lineupScope(l))}</h2>
<p id="lineup-headline" class="lead">${esc(l.headline)}</p>
<p id="lineup-totals" data-techniques="${t.techniques}" data-controls="${t.controls}" data-rules="${t.rules}" data-tests="${t.tests}" data-guidance="${t.guidance}">${esc(lineupTotalsText(l))}</p>
<p id="lineup-stack">${stack}</p>
<div class="downloads"><a id="dl-lineup-csv" href="api/lineup?${esc(lineupQuery(f, { format: 'csv' }))}" download>Download CSV</a> <a id="dl-lineup-json" href="api/lineup?${esc(lineupQuery(f, { format: 'json' }))}" download>Download JSON</a></div>
<h3 id="lineup-heatmap-title">Heatmap: validation class for the stack</h3>
<section class="legend" aria-labelledby="lineup-legend"><h4 id="lineup-legend">Legend</h4><ul>${legend}</ul></section>
<div class="matrix heatmap" id="lineup-heatmap" role="region" aria-labelledby="lineup-heatmap-title" tabindex="0">
${grid.html}
</div>
<h3 id="lineup-table-title">Techniques by ${esc(SORT_LABELS[l.sort] ?? l.sort)}</h3>
<div class="table-wrap" role="region" aria-labelledby="lineup-table-title" tabindex="0"><table id="lineup-table"><thead><tr><th scope="col">#</th><th scope="col">Technique</th><th scope="col">Tactics</th>
<th scope="col">Controls</th><th scope="col">Rules</th><th scope="col">Tests</th><th scope="col">Total</th><th scope="col">Validation</th><th scope="col">By source</th></tr></thead>
<tbody>${shown.map((r) => rowHtml(l, r, links)).join('\n')}</tbody></table></div>
${more}
</section>`;
}

/** The page: the form, then the line-up (or the error that prevented it). */
export function lineupPage(model: SiteModel, links: Links, form: LineupForm, lineup: Lineup | null, error?: string): string {
  const body = `<h1>Line-up</h1>
<p class="lead">Line your control stack up against a threat: per technique, the controls, detection rules and tests of the sources you own, sorted as you choose.
Guidance (ATT&amp;CK detection strategies, hunts, pseudocode) is shown per source but never counted as a detection. The command line does the same:
<code>purplebook lineup --group G0016 --stack sigma,atomic-red-team --sort rules</code>.</p>
${formHtml(model, form)}
${error ? `<p id="lineup-error" class="error" role="alert">${esc(error)}</p>` : ''}
${lineup ? resultHtml(model, lineup, form, links) : ''}
<p class="hint">This view is its URL: bookmark or share it.</p>`;
  return shell(model, links, { title: 'Line-up', base: '', page: 'lineup', body, current: 'lineup', script: false });
}
