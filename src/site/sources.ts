/**
 * The sources page (the "knowledge center"): every source Purplebook knows, by pillar — loaded,
 * missing from the data, or not available offline — with what it holds, how it maps to ATT&CK,
 * its provenance, counts and warnings. The static site and the server render the same page.
 */
import { kindText, sourceCatalog, type CatalogEntry } from '../kb/catalog.js';
import type { KnowledgeBase, SourceRow } from '../kb/open.js';
import { computeStats, type SourceStats } from '../kb/stats.js';
import { esc, linkOrText } from '../render/escape.js';
import { PILLARS } from '../core/types.js';
import { longDate } from '../util/text.js';
import type { Links } from './layout.js';
import type { SiteModel } from './model.js';
import { shell } from './shell.js';

const REPO = /^[\w.-]+\/[\w.-]+$/;
const COMMIT = /^[0-9a-f]{7,40}$/i;

function upstreamCell(repository: string | null, commit: string | null): { repo: string; commit: string } {
  if (!repository) return { repo: '—', commit: commit ? `<code>${esc(commit.slice(0, 12))}</code>` : '—' };
  const gh = REPO.test(repository) ? `https://github.com/${repository}` : null;
  const repo = gh ? `<a href="${esc(gh)}" rel="noopener noreferrer">${esc(repository)}</a>` : esc(repository);
  if (!commit) return { repo, commit: '—' };
  const short = `<code>${esc(commit.slice(0, 12))}</code>`;
  return { repo, commit: gh && COMMIT.test(commit) ? `<a href="${esc(`${gh}/tree/${commit}`)}" rel="noopener noreferrer" title="${esc(commit)}">${short}</a>` : short };
}

/** Registry texts mark field names with backticks: escaped text, with those spans as code. */
function withCode(text: string): string {
  return text.split('`').map((part, i) => (i % 2 ? `<code>${esc(part)}</code>` : esc(part))).join('');
}

export const STATE_LABELS: Record<CatalogEntry['state'], string> = {
  loaded: 'loaded', absent: 'not in the data', 'not built': 'not built', unavailable: 'not available offline',
};

const MAX_LISTED_WARNINGS = 200;

function warningList(name: string, list: { file: string; reason: string }[]): string {
  if (!list.length) return '';
  const shown = list.slice(0, MAX_LISTED_WARNINGS).map((w) => `<li><code>${esc(w.file)}</code>: ${esc(w.reason)}</li>`).join('');
  const more = list.length > MAX_LISTED_WARNINGS ? `<p>… and ${list.length - MAX_LISTED_WARNINGS} more (<code>purplebook warnings</code> lists them all).</p>` : '';
  return `<details class="warnings"><summary>${list.length} warning${list.length === 1 ? '' : 's'}<span class="sr-only"> of ${esc(name)}</span></summary><ul>${shown}</ul>${more}</details>`;
}

const anchor = (name: string) => `source-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

interface Context {
  kb: KnowledgeBase;
  stats: Map<string, SourceStats>;
  rows: Map<string, SourceRow>;
  warnings: Map<string, { file: string; reason: string }[]>;
}

/** One line of a pillar's overview table. */
function overviewRow(e: CatalogEntry, ctx: Context): string {
  const title = `${linkOrText(e.homepage, esc(e.title))}<br><code class="name"><a href="#${esc(anchor(e.name))}">${esc(e.name)}</a></code>`;
  const state = `<td class="state" data-state="${esc(e.state)}">${esc(STATE_LABELS[e.state])}</td>`;
  if (e.state !== 'loaded') {
    const why = e.why ? withCode(e.why) : '';
    return `<tr class="absent" data-source="${esc(e.name)}"><th scope="row">${title}</th>${state}<td colspan="7">${why}</td></tr>`;
  }
  const s = ctx.stats.get(e.name);
  const up = upstreamCell(e.upstream, e.commit);
  return `<tr data-source="${esc(e.name)}"><th scope="row">${title}</th>${state}<td>${up.commit}</td><td>${accessedText(e, ctx)}</td>`
    + `<td>${e.resources}</td><td>${e.mappings}</td><td>${e.techniques}</td><td>${s?.unknownIds ?? 0}</td><td>${e.warnings}</td></tr>`;
}

function accessedText(e: CatalogEntry, ctx: Context): string {
  if (!e.accessed) return '—';
  return `${esc(longDate(e.accessed))}${ctx.rows.get(e.name)?.accessedFrom === 'file-dates' ? ' (file dates)' : ''}`;
}

/** Everything known about one source, loaded or not. */
function card(e: CatalogEntry, ctx: Context): string {
  const facts: [string, string][] = [['Name', `<code>${esc(e.name)}</code>`], ['State', esc(STATE_LABELS[e.state])]];
  if (e.why) facts.push([e.state === 'unavailable' ? 'Why' : 'Why not loaded', withCode(e.why)]);
  facts.push(['Published at', linkOrText(e.homepage, esc(e.homepage))]);
  if (e.resourceKind) facts.push(['A resource is', withCode(e.resourceKind)]);
  if (e.mapsVia) facts.push(['Maps to ATT&amp;CK by', withCode(e.mapsVia)]);
  if (e.detectionKind) facts.push(['Counted as', withCode(kindText(e))]);
  if (e.license) facts.push(['License', esc(e.license)]);
  if (e.state !== 'unavailable') {
    const up = upstreamCell(e.upstream, e.commit);
    facts.push(['Upstream', up.repo]);
    if (e.state === 'loaded') {
      facts.push(['Commit', up.commit], ['Accessed', accessedText(e, ctx)]);
      facts.push(['ATT&amp;CK version mapped against', e.attackVersions.length
        ? esc(e.attackVersions.join(', '))
        : `not stated by the source (ids resolved against ATT&amp;CK ${esc(ctx.kb.attackVersion)})`]);
      const s = ctx.stats.get(e.name);
      facts.push(['Counts', `${e.resources} resources · ${e.mappings} mappings · ${e.techniques} techniques · ${s?.deprecated ?? 0} deprecated · `
        + `${s?.unknownIds ?? 0} unknown ids · ${e.warnings} warnings`]);
    }
  }
  const s = ctx.stats.get(e.name);
  const hint = s?.hint ? `<p class="hint">${withCode(s.hint)}</p>` : '';
  const unknown = s?.unknownIdList.length ? `<p>Unknown technique ids: ${esc(s.unknownIdList.join(', '))}</p>` : '';
  return `<article class="source-card" id="${esc(anchor(e.name))}" data-state="${esc(e.state)}"><h3>${esc(e.title)}</h3>`
    + `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>${hint}${unknown}${warningList(e.name, ctx.warnings.get(e.name) ?? [])}</article>`;
}

function attackSection(kb: KnowledgeBase, ctx: Context): string {
  const stats = computeStats(kb);
  const up = upstreamCell(kb.meta('attack_repository') || null, kb.meta('attack_commit') || null);
  const domains = Object.entries(stats.attack.domains)
    .map(([d, s]) => `<li>${esc(d)}: ${s.techniques} techniques, ${s.subtechniques} sub-techniques, ${s.revoked} revoked, ${s.deprecated} deprecated</li>`).join('');
  return `<section aria-labelledby="attack-title"><h2 id="attack-title">MITRE ATT&amp;CK ${esc(stats.attack.version)}</h2>
<dl class="facts"><dt>Upstream</dt><dd>${up.repo}</dd><dt>Commit</dt><dd>${up.commit}</dd>
<dt>Accessed</dt><dd>${esc(longDate(kb.meta('attack_accessed') || undefined))}</dd><dt>Version read from</dt><dd>${esc(stats.attack.versionSource)}</dd></dl>
<ul>${domains}</ul>${warningList('attack', [...(ctx.warnings.get('attack') ?? []), ...(ctx.warnings.get('manifest') ?? [])])}</section>`;
}

function counted(entries: CatalogEntry[]): string {
  const n = (state: CatalogEntry['state']) => entries.filter((e) => e.state === state).length;
  const parts = [`${n('loaded')} loaded`];
  if (n('absent')) parts.push(`${n('absent')} not in the data`);
  if (n('unavailable')) parts.push(`${n('unavailable')} not available offline`);
  return parts.join(' · ');
}

export function sourcesPage(model: SiteModel, links: Links): string {
  const kb = model.kb;
  const catalog = sourceCatalog(kb);
  const warnings = new Map<string, { file: string; reason: string }[]>();
  for (const w of kb.warnings()) warnings.set(w.source, [...(warnings.get(w.source) ?? []), w]);
  const stats = computeStats(kb);
  const ctx: Context = { kb, stats: new Map(stats.sources.map((s) => [s.name, s])), rows: new Map(kb.sources().map((s) => [s.name, s])), warnings };

  const parts = [`<h1>Sources</h1>
<p class="lead">Every source Purplebook knows (${catalog.length}: ${counted(catalog)}), by pillar: what a resource of it is, how it maps to ATT&amp;CK,
the commit it was read at, when it was accessed, and what the knowledge base made of it. Sources that cannot be had offline are listed with where they are published.</p>`,
  attackSection(kb, ctx)];

  for (const { pillar, heading } of PILLARS) {
    const inPillar = catalog.filter((e) => e.pillar === pillar);
    if (!inPillar.length) continue;
    parts.push(`<section aria-labelledby="p-${pillar}" data-pillar="${pillar}"><h2 id="p-${pillar}">${esc(heading)}</h2>
<p class="count">${inPillar.length} sources: ${counted(inPillar)}</p>
<div class="table-wrap" role="region" aria-labelledby="p-${pillar}" tabindex="0"><table><thead><tr><th scope="col">Source</th><th scope="col">State</th><th scope="col">Commit</th><th scope="col">Accessed</th>
<th scope="col">Resources</th><th scope="col">Mappings</th><th scope="col">Techniques</th><th scope="col">Unknown ids</th><th scope="col">Warnings</th></tr></thead>
<tbody>${inPillar.map((e) => overviewRow(e, ctx)).join('\n')}</tbody></table></div>
${inPillar.map((e) => card(e, ctx)).join('\n')}</section>`);
  }
  parts.push(`<p>Total warnings: ${stats.warnings.total}. <code>purplebook sources --json</code> prints this catalog.</p>`);
  return shell(model, links, { title: 'Sources', base: '', page: 'sources', body: parts.join('\n'), current: 'sources' });
}
