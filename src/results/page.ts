/**
 * The "Validation results" block of a technique page: the latest executions of its tests, each
 * with its current outcome, the evidence and its age; stale ones marked. Markdown for `show`
 * and the `.md` pages, HTML (every stored string escaped) for the site and the server.
 */
import { esc } from '../render/escape.js';
import { mdText } from '../render/markdown.js';
import { evidenceOf } from './render.js';
import type { ExecutionView, TechniqueResults } from './view.js';

/** Executions a page lists (the newest). */
export const PAGE_EXECUTIONS = 10;

export interface PageResultsJson {
  best: string | null;
  stale: boolean;
  executions: number;
  maxAgeDays: number;
  latest: {
    exercise: string; source: string; test: string; testName: string | null; host: string; startedAt: string | null; ageDays: number; stale: boolean;
    outcome: string | null; rule: string | null; alertId: string | null; note: string | null; recordedBy: string | null; recordedAt: string | null; history: number;
  }[];
}

const age = (days: number) => (!Number.isFinite(days) ? 'age unknown' : days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`);

function summaryLine(r: TechniqueResults | undefined, maxAgeDays: number): string {
  if (!r) return 'No result recorded for this technique.';
  const n = r.executions.length;
  const head = `${n} execution${n === 1 ? '' : 's'} recorded`;
  if (r.stale) return `${head}, all older than ${maxAgeDays} days (stale); best outcome then: ${r.bestEver ?? 'none'}.`;
  return `${head}; best outcome within ${maxAgeDays} days: ${r.best ?? 'none'}.`;
}

function when(e: ExecutionView): string {
  return e.startedAt ? `${e.startedAt.slice(0, 16).replace('T', ' ')} UTC` : 'run time unknown';
}

export function pageResultsJson(r: TechniqueResults | undefined, maxAgeDays: number): PageResultsJson {
  return {
    best: r?.best ?? null, stale: r?.stale ?? false, executions: r?.executions.length ?? 0, maxAgeDays,
    latest: (r?.executions ?? []).slice(0, PAGE_EXECUTIONS).map((e) => ({
      exercise: e.exercise, source: e.source, test: e.testId, testName: e.testName, host: e.host, startedAt: e.startedAt || null,
      ageDays: Number.isFinite(e.ageDays) ? e.ageDays : -1, stale: e.stale, outcome: e.current?.outcome ?? null, rule: e.current?.rule ?? null,
      alertId: e.current?.alertId ?? null, note: e.current?.note ?? null, recordedBy: e.current?.recordedBy ?? null,
      recordedAt: e.current?.recordedAt ?? null, history: e.outcomes.length,
    })),
  };
}

export function pageResultsMarkdown(r: TechniqueResults | undefined, maxAgeDays: number): string {
  const out = ['## Validation results', '', mdText(summaryLine(r, maxAgeDays)), ''];
  const shown = (r?.executions ?? []).slice(0, PAGE_EXECUTIONS);
  if (shown.length) {
    out.push('| Ran | Exercise | Test | Host | Outcome | Evidence | Age |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const e of shown) {
      const test = `${e.source} ${e.testId}${e.testName ? ` ${e.testName}` : ''}`;
      out.push(`| ${mdText(when(e))} | ${mdText(e.exercise)} | ${mdText(test)} | ${mdText(e.host || '–')} | ${mdText(e.current?.outcome ?? 'none')} | `
        + `${mdText(evidenceOf(e.current) || '–')} | ${age(e.ageDays)}${e.stale ? ' (stale)' : ''} |`);
    }
    if (r!.executions.length > shown.length) out.push('', `… and ${r!.executions.length - shown.length} older executions (\`purplebook results list --technique ${r!.technique}\`).`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

export function pageResultsHtml(r: TechniqueResults | undefined, maxAgeDays: number): string {
  const parts = ['<section class="results" id="validation-results"><h2>Validation results</h2>', `<p>${esc(summaryLine(r, maxAgeDays))}</p>`];
  const shown = (r?.executions ?? []).slice(0, PAGE_EXECUTIONS);
  if (shown.length) {
    parts.push('<table><thead><tr><th scope="col">Ran</th><th scope="col">Exercise</th><th scope="col">Test</th><th scope="col">Host</th>'
      + '<th scope="col">Outcome</th><th scope="col">Evidence</th><th scope="col">Age</th></tr></thead><tbody>');
    for (const e of shown) {
      parts.push(`<tr${e.stale ? ' class="stale"' : ''}><td>${esc(when(e))}</td><td>${esc(e.exercise)}</td>`
        + `<td>${esc(e.source)} <code>${esc(e.testId)}</code>${e.testName ? ` ${esc(e.testName)}` : ''}</td><td>${esc(e.host || '–')}</td>`
        + `<td data-outcome="${esc(e.current?.outcome ?? 'none')}">${esc(e.current?.outcome ?? 'none')}</td><td>${esc(evidenceOf(e.current) || '–')}</td>`
        + `<td>${esc(age(e.ageDays))}${e.stale ? ' (stale)' : ''}</td></tr>`);
    }
    parts.push('</tbody></table>');
    if (r!.executions.length > shown.length) parts.push(`<p>… and ${r!.executions.length - shown.length} older executions.</p>`);
  }
  parts.push('</section>');
  return parts.join('');
}
