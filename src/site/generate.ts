/**
 * The static site: every technique page (HTML and markdown, all domains, revoked and deprecated
 * included), a matrix per domain, offline search, sources, Navigator layers. Built in a temporary
 * folder beside --out and renamed over it only when complete.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { layerContextOf } from '../kb/layer-context.js';
import type { KnowledgeBase } from '../kb/open.js';
import { findMeasure } from '../page/measures.js';
import { buildPage } from '../page/build.js';
import { itemViewsData } from '../render/html.js';
import { navigatorLayer } from '../render/layer.js';
import { renderMarkdown } from '../render/markdown.js';
import { resultsLayer } from '../results/layer.js';
import { RESULTS_MEASURE } from '../results/matrix.js';
import { withResultsMeasure } from './results-measure.js';
import type { TechniqueResults } from '../results/view.js';
import { createProgress, type Progress } from '../util/progress.js';
import { FAVICON_SVG, SITE_CSS, SITE_JS } from './assets.js';
import { CSS_FILE, ICON_FILE, JS_FILE, SITE_LINKS } from './layout.js';
import { summarize, type TechniqueSummary } from '../page/summary.js';
import { SiteModel, dataScript } from './model.js';
import { searchPieceFiles } from './search-files.js';
import { SITE_LAYER_MEASURES, indexPage, layerHref, matrixPage, searchPage, techniqueDataPath, techniquePageResult } from './pages.js';
import { sourcesPage } from './sources.js';
import { InputError } from '../core/errors.js';

/** Marks a folder as a Purplebook site, so --out never replaces a folder it did not write. */
export const SITE_MARKER = '.purplebook-site';

export class SiteError extends InputError {}

export interface SiteOptions {
  kb: KnowledgeBase;
  outDir: string;
  quiet?: boolean;
  /** Added to a technique's page (`site --results`: the Validation results block), HTML escaped by the caller. */
  pageExtra?: (id: string) => { html: string; markdown: string };
  /** `site --results`: the matrices gain the results measure and each domain a results layer, as of the build. */
  results?: { byTechnique: ReadonlyMap<string, TechniqueResults>; maxAgeDays: number };
  progress?: Progress;
}

export interface SiteSummary {
  outDir: string;
  techniquePages: number;
  activePages: number;
  matrices: string[];
  files: number;
  bytes: number;
  seconds: number;
}

/** Refuse to replace anything but an earlier site or an empty folder: --out ~ must not wipe a home. */
function checkReplaceable(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new SiteError(`${outDir} exists and is not a folder`);
  const entries = readdirSync(outDir);
  if (entries.length && !entries.includes(SITE_MARKER)) {
    throw new SiteError(`${outDir} is not empty and was not written by \`purplebook site\`: refusing to replace it (choose another --out)`);
  }
}

export function writeSite(opts: SiteOptions): SiteSummary {
  const started = performance.now();
  const outDir = resolve(opts.outDir);
  checkReplaceable(outDir);
  const progress = opts.progress ?? createProgress({ quiet: opts.quiet });
  const parent = dirname(outDir);
  mkdirSync(parent, { recursive: true });
  const temp = join(parent, `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  let files = 0;
  let bytes = 0;
  const write = (rel: string, content: string) => {
    writeFileSync(join(temp, rel), content);
    files++;
    bytes += Buffer.byteLength(content);
  };

  try {
    for (const dir of ['', 'techniques', 'assets', 'data', 'data/techniques', 'data/search', 'layers']) mkdirSync(join(temp, dir), { recursive: true });
    write(SITE_MARKER, 'Written by `purplebook site`; the next run replaces this folder.\n');
    write(CSS_FILE, SITE_CSS);
    write(JS_FILE, SITE_JS);
    write(ICON_FILE, FAVICON_SVG);

    const { kb } = opts;
    const rows = kb.techniques();
    const summaries: TechniqueSummary[] = [];
    const model = new SiteModel(kb, summaries);
    rows.forEach((row, i) => {
      progress.update('Technique pages', i, rows.length);
      const page = buildPage(kb, row.id);
      if (!page) return;
      summaries.push(summarize(page, row));
      const extra = opts.pageExtra?.(page.id);
      write(`techniques/${page.id}.md`, renderMarkdown(page, { techniqueHref: (id) => `${id}.md` }) + (extra ? `\n${extra.markdown}` : ''));
      const html = techniquePageResult(model, page, SITE_LINKS, undefined, extra?.html);
      write(`techniques/${page.id}.html`, html.html);
      if (html.deferred) write(techniqueDataPath(page.id), dataScript('PURPLEBOOK_DETAILS', itemViewsData(page)));
    });
    progress.update('Matrices, search, sources');

    const matrices: string[] = [];
    const context = layerContextOf(kb);
    for (const d of model.domains()) {
      const r = opts.results;
      const data = r ? withResultsMeasure(model.matrixData(d.domain), r.byTechnique, r.maxAgeDays) : model.matrixData(d.domain);
      write(`${d.slug}.html`, matrixPage(model, d, SITE_LINKS, data));
      write(`data/matrix-${d.slug}.js`, dataScript('PURPLEBOOK_MATRIX', data));
      for (const m of SITE_LAYER_MEASURES) {
        const layer = navigatorLayer({ context, measure: findMeasure(kb, m)!, domain: d.domain, summaries });
        write(layerHref(SITE_LINKS, d.slug, m), `${JSON.stringify(layer, null, 1)}\n`);
      }
      if (r) {
        const layer = resultsLayer({ context, results: r.byTechnique, domain: d.domain, maxAgeDays: r.maxAgeDays });
        write(layerHref(SITE_LINKS, d.slug, RESULTS_MEASURE), `${JSON.stringify(layer, null, 1)}\n`);
      }
      matrices.push(d.slug);
    }
    const search = model.searchFiles();
    write('data/search-techniques.js', dataScript('PURPLEBOOK_SEARCH_TECHNIQUES', search.list));
    for (const [name, script] of searchPieceFiles(search)) write(`data/search/${name}`, script);
    write('search.html', searchPage(model, SITE_LINKS));
    write('sources.html', sourcesPage(model, SITE_LINKS));
    write('index.html', indexPage(model, SITE_LINKS, opts.results ? [...SITE_LAYER_MEASURES, RESULTS_MEASURE] : SITE_LAYER_MEASURES));
    progress.update('Replacing the output folder');
    swapIn(temp, outDir);
    return {
      outDir, techniquePages: summaries.length, activePages: summaries.filter((s) => s.status === 'active').length, matrices, files, bytes,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  } finally {
    progress.done();
  }
}

/**
 * Two renames: the old site aside, the new one in place, then the old one removed. Readers see
 * either the old or the new site, never a half-written one (only a missing folder for an instant).
 */
function swapIn(temp: string, outDir: string): void {
  checkReplaceable(outDir);
  if (!existsSync(outDir)) {
    renameSync(temp, outDir);
    return;
  }
  const old = `${temp}.old`;
  renameSync(outDir, old);
  try {
    renameSync(temp, outDir);
  } catch (e) {
    renameSync(old, outDir);
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}
