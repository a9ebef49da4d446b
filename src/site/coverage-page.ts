/**
 * The coverage page of the server: pick a threat, give your own rules (read in the browser and
 * sent to POST /api/coverage, or the server's rules folder), see covered techniques and gaps on
 * the matrix, download the layer and CSV, build the test plan. The static site cannot compute
 * coverage (no server), so this page exists only in `purplebook serve`.
 */
import { esc } from '../render/escape.js';
import type { Links } from './layout.js';
import type { SiteModel } from './model.js';
import { matrixGrid } from './pages.js';
import { shell } from './shell.js';

/** Path of the coverage page's script, served by the server only. */
export const COVERAGE_JS_FILE = 'assets/coverage.js';

/** Colour keys of the heatmap, from the site's palette (green, yellow, red, grey). */
export const COVERAGE_KEYS = { covered: 'v3', partial: 'v1', gap: 'v0', out: 'm0' } as const;

export interface CoveragePageOptions {
  /** The server's own rules folder (`serve --rules`), if any. */
  serverRules?: { rules: number; files: number; readAt: string };
  maxBodyBytes: number;
}

/** Colour keys of the runnable-rule heatmap. */
export const TELEMETRY_KEYS = { many: 'v3', blocked: 'v1', none: 'v0' } as const;

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) ? 1 : 0)} MB`;

/** A heatmap region per domain (all but enterprise hidden), its cells "not computed yet" until the script fills them. */
function heatmaps(model: SiteModel, links: Links, heatmap: { className: string; caption: string; label: string }, html = (grid: string) => grid): string {
  return model.domains().map((d) => {
    const grid = matrixGrid(model, d.domain, links, heatmap.caption, () => ({ text: '–', key: COVERAGE_KEYS.out, title: 'not computed yet' }));
    return `<div class="matrix ${heatmap.className}" data-domain="${esc(d.domain)}" role="region" aria-label="${esc(d.title)} ${heatmap.label}" tabindex="0"${d.domain === 'enterprise-attack' ? '' : ' hidden'}>\n${html(grid.html)}\n</div>`;
  }).join('\n');
}

function legendItems(entries: [key: string, label: string][]): string {
  return entries.map(([key, label]) => `<li><span class="swatch" data-c="${key}"></span>${esc(label)}</li>`).join('');
}

export function coveragePage(model: SiteModel, links: Links, opts: CoveragePageOptions): string {
  const serverRules = opts.serverRules
    ? `<p id="server-rules" data-rules="${opts.serverRules.rules}">This server has its own rules folder: ${opts.serverRules.rules} rules in ${opts.serverRules.files} files. `
      + 'It is used when you upload nothing; uploaded files replace it for your request.</p>'
    : '<p id="server-rules" data-rules="0">Without rules every technique counts as a gap (the list is then what to write first).</p>';
  const grids = heatmaps(model, links, { className: 'heatmap', caption: 'Own-rule coverage', label: 'coverage heatmap' });
  const legend = legendItems([
    [COVERAGE_KEYS.covered, 'covered: own rules on the technique (the number of rules)'],
    [COVERAGE_KEYS.partial, 'partial: own rules on some sub-techniques only ("sub")'],
    [COVERAGE_KEYS.gap, 'gap: no own rule ("gap")'],
    [COVERAGE_KEYS.out, 'not used by the selected threats ("–")'],
  ]);

  // The second matrix of the page: its tactic headings need ids of their own.
  const telemetryGrids = heatmaps(model, links, { className: 'telemetry-heatmap', caption: 'Runnable public rules', label: 'runnable-rule heatmap' },
    (grid) => grid.replaceAll('id="tactic-', 'id="telemetry-tactic-').replaceAll('aria-labelledby="tactic-', 'aria-labelledby="telemetry-tactic-'));
  const telemetryLegend = legendItems([
    [TELEMETRY_KEYS.many, 'runnable public rules (the number)'],
    [TELEMETRY_KEYS.blocked, 'no runnable rule; some blocked by missing telemetry ("0")'],
    [TELEMETRY_KEYS.none, 'no public rule at all ("none")'],
    [COVERAGE_KEYS.out, 'not used by the selected threats ("–")'],
  ]);

  const body = `<h1>Own-rule coverage</h1>
<p class="lead">Which techniques of a threat your own detection rules cover, which they miss and in what order to close the gaps, and the purple-team plan to test them.
Rule files are read in your browser and sent to this server for one computation; nothing is stored. The command line does the same:
<code>purplebook coverage --rules DIR --group G0016</code> and <code>purplebook plan --group G0016</code>.</p>
<form id="coverage-form" class="coverage-form" data-max-bytes="${opts.maxBodyBytes}" novalidate>
<fieldset><legend>1. Threat</legend>
<label for="threat-input">ATT&amp;CK group, software or campaign: id, name or alias</label>
<div class="picker"><input id="threat-input" type="text" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="threat-options" aria-describedby="threat-hint" autocomplete="off" spellcheck="false" maxlength="100">
<ul id="threat-options" role="listbox" aria-label="Matching threats" hidden></ul></div>
<p class="hint" id="threat-hint">Type to search; up and down arrows move through the matches, Enter adds one. Several threats can be added. With none, every technique of the domain is considered.</p>
<ul id="threat-chosen" class="chips" aria-label="Chosen threats"></ul>
<details id="threat-profile"><summary>Or choose groups by profile</summary>
<p class="hint" id="profile-hint">From the Categorized Adversary TTPs (ATT&amp;CK groups with ETDA/ThaiCERT threat cards). Comma-separated; a group must match every filled field. Added to the threats above.</p>
<label for="profile-motivation">Motivation</label> <input id="profile-motivation" type="text" maxlength="200" placeholder="espionage, financial" aria-describedby="profile-hint">
<label for="profile-victim-industry">Targeted industry</label> <input id="profile-victim-industry" type="text" maxlength="200" placeholder="Energy, Healthcare" aria-describedby="profile-hint">
<label for="profile-victim-country">Targeted country</label> <input id="profile-victim-country" type="text" maxlength="200" placeholder="Germany, JP" aria-describedby="profile-hint">
<label for="profile-origin-country">Origin country</label> <input id="profile-origin-country" type="text" maxlength="200" placeholder="RU, KP" aria-describedby="profile-hint">
</details>
<label for="techniques-file">Or a technique list: plain ids or an ATT&amp;CK Navigator layer</label>
<input id="techniques-file" type="file" accept=".json,.txt,.csv,.md,text/plain,application/json">
</fieldset>
<fieldset><legend>2. Your detection rules</legend>
<p>Sigma YAML, Elastic TOML, Kibana saved-objects NDJSON, Splunk ESCU YAML and <code>savedsearches.conf</code>, recognised by their content. Up to ${esc(mb(opts.maxBodyBytes))} in all.</p>
<label for="rules-files">Rule files</label> <input id="rules-files" type="file" multiple>
<label for="rules-folder">or a whole folder</label> <input id="rules-folder" type="file" multiple webkitdirectory>
<p id="rules-status" role="status" aria-live="polite"></p>
${serverRules}
</fieldset>
<fieldset><legend>3. Scope</legend>
<label for="coverage-domain">Domain</label> <select id="coverage-domain">${model.domains().map((d) => `<option value="${esc(d.slug)}">${esc(d.title)}</option>`).join('')}</select>
<label for="plan-platforms">Platforms for the plan</label> <input id="plan-platforms" type="text" maxlength="200" placeholder="windows, linux" aria-describedby="platforms-hint">
<span class="hint" id="platforms-hint">comma-separated; empty: every platform</span>
</fieldset>
<fieldset><legend>4. Your telemetry (optional)</legend>
<p>What you collect, as a <code>telemetry.yaml</code> profile (<code>- sysmon: [1, 3]</code>, <code>- windows-security: [4688]</code>, <code>- aws-cloudtrail</code>; <code>[]</code> for nothing): which public rules can run, which are blocked, and the next log sources to add. The command line: <code>purplebook telemetry --profile telemetry.yaml --group G0016</code>.</p>
<label for="telemetry-profile">Profile (YAML)</label>
<textarea id="telemetry-profile" rows="5" cols="60" spellcheck="false" maxlength="1048576">- sysmon: [1, 3, 11]
- windows-security: [4624, 4688]</textarea>
<label for="telemetry-file">or a profile file</label> <input id="telemetry-file" type="file" accept=".yaml,.yml,.txt,text/plain">
</fieldset>
<div class="actions"><button type="submit" id="run-coverage">Compute coverage</button> <button type="button" id="run-plan">Build the test plan</button> <button type="button" id="run-telemetry">What can we run?</button></div>
</form>
<p id="coverage-status" role="status" aria-live="polite"></p>
<noscript><p>This page needs JavaScript to read your files. Without it, use <code>purplebook coverage</code> or POST /api/coverage (see /api/openapi.json).</p></noscript>
<section id="coverage-result" aria-labelledby="result-title" hidden>
<h2 id="result-title">Coverage</h2>
<p id="coverage-summary"></p>
<div class="downloads"><button type="button" id="dl-layer">Download the Navigator layer (JSON)</button> <button type="button" id="dl-csv">Download CSV</button> <button type="button" id="dl-markdown">Download the report (Markdown)</button></div>
<div class="table-wrap" role="region" aria-labelledby="tactics-title" tabindex="0"><h3 id="tactics-title">By tactic</h3><table id="tactic-table"><thead><tr><th scope="col">Tactic</th><th scope="col">Covered</th><th scope="col">Partial</th><th scope="col">Techniques</th><th scope="col">Covered %</th></tr></thead><tbody></tbody></table></div>
<h3 id="heatmap-title">Heatmap</h3>
<p class="controls"><label><input type="checkbox" id="heatmap-only"> Only this threat's techniques</label></p>
<section class="legend" aria-labelledby="heatmap-legend"><h4 id="heatmap-legend">Legend: own-rule coverage</h4><ul>${legend}</ul></section>
${grids}
<h3 id="gaps-title">Gaps in priority order</h3>
<p class="hint">Used by more of the selected threats first, then techniques with public rules to adopt, then with public tests to validate.</p>
<div class="table-wrap" role="region" aria-labelledby="gaps-title" tabindex="0"><table id="gap-table"><thead><tr><th scope="col">#</th><th scope="col">Technique</th><th scope="col">Threats</th><th scope="col">Own rules</th><th scope="col">Public detections</th><th scope="col">Public tests</th><th scope="col">Validation</th></tr></thead><tbody></tbody></table></div>
<p id="gaps-more"></p>
<h3 id="covered-title">Covered techniques and their rules</h3>
<ul id="covered-list" aria-labelledby="covered-title"></ul>
<div id="rule-problems"></div>
</section>
<section id="telemetry-result" aria-labelledby="telemetry-title" hidden>
<h2 id="telemetry-title">What can we run?</h2>
<p id="telemetry-summary"></p>
<h3 id="telemetry-next-title">Next log sources to add</h3>
<p class="hint">Each alone, added to the profile: techniques it makes detectable, then public rules it makes runnable.</p>
<div class="table-wrap" role="region" aria-labelledby="telemetry-next-title" tabindex="0"><table id="telemetry-next"><thead><tr><th scope="col">#</th><th scope="col">Log source</th><th scope="col">Profile entry</th><th scope="col">Techniques</th><th scope="col">Rules</th></tr></thead><tbody></tbody></table></div>
<h3 id="telemetry-heatmap-title">Heatmap: runnable public rules</h3>
<section class="legend" aria-labelledby="telemetry-legend"><h4 id="telemetry-legend">Legend: runnable public rules</h4><ul>${telemetryLegend}</ul></section>
${telemetryGrids}
</section>
<section id="plan-result" aria-labelledby="plan-title" hidden>
<h2 id="plan-title">Test plan</h2>
<p id="plan-summary"></p>
<div class="downloads"><button type="button" id="dl-plan">Download the plan (Markdown)</button> <button type="button" id="dl-outcome">Download the outcome sheet (CSV)</button></div>
<p class="hint" id="plan-hint">Tick what you ran, saw fire or checked: the ticks stay in this browser for this plan, and the outcome sheet lists every item with its tick.</p>
<div id="plan-body"></div>
</section>`;
  return shell(model, links, { title: 'Own-rule coverage', base: '', page: 'coverage', body, current: 'coverage', data: [COVERAGE_JS_FILE] });
}
