/**
 * What a reader downloads: the static site is written once, then the technique pages (largest,
 * median, element count of the heaviest) and the search index (the technique list, the largest
 * pieces, and the most any first query of one word and of several words loads, worked out over
 * the pieces' structure: site/search-weight.ts) are weighed raw, gzip'ed and brotli'ed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { KnowledgeBase } from '../kb/open.js';
import { writeSite } from '../site/generate.js';
import type { SearchList } from '../site/search-files.js';
import { worstFirstQueries, type QueryWeight } from '../site/search-weight.js';

export interface Weight {
  file: string;
  bytes: number;
  gzip: number;
  brotli: number;
}

export interface WeightsResult {
  pages: number;
  largest: Weight;
  median: Weight;
  /** Start tags of the largest page: a proxy for its DOM size. */
  largestElements: number;
  /** Pages whose details wait in a data file. */
  deferred: number;
  searchTechniques: Weight;
  largestShard: Weight;
  /** The largest description-word or count file: each further query word adds at most one. */
  largestWords: Weight;
  /** The most a first query of one word loads (the list and its pieces), gzip'ed, with such a query. */
  firstQuerySingle: QueryWeight;
  /** The most a first query of several words loads, gzip'ed. */
  firstQueryMulti: QueryWeight;
  searchFiles: number;
  searchTotalBytes: number;
}

function weigh(file: string, label = file): Weight {
  const body = readFileSync(file);
  return {
    file: label, bytes: body.length, gzip: gzipSync(body, { level: 6 }).length,
    brotli: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

export function measureWeights(dbPath: string): WeightsResult {
  const kb = KnowledgeBase.open(dbPath);
  const dir = mkdtempSync(join(tmpdir(), 'purplebook-bench-weights-'));
  try {
    const out = join(dir, 'site');
    writeSite({ kb, outDir: out, quiet: true });
    const techniques = join(out, 'techniques');
    const pages = readdirSync(techniques).filter((f) => f.endsWith('.html'))
      .map((f) => ({ f, size: readFileSync(join(techniques, f)).length })).sort((a, b) => a.size - b.size);
    const largest = pages[pages.length - 1]!;
    const median = pages[Math.floor(pages.length / 2)]!;
    const largestHtml = readFileSync(join(techniques, largest.f), 'utf8');
    const shards = readdirSync(join(out, 'data', 'search')).map((f) => weigh(join(out, 'data', 'search', f), `data/search/${f}`));
    const byGzip = (list: Weight[]) => [...list].sort((a, b) => b.gzip - a.gzip);
    const isWords = (w: Weight) => /^data\/search\/(words|counts)-/.test(w.file);
    const largestShard = byGzip(shards.filter((w) => !isWords(w) && !w.file.startsWith('data/search/uuid-')))[0]!;
    const largestWords = byGzip(shards.filter(isWords))[0]!;
    const gzipOf = new Map(shards.map((w) => [w.file, w.gzip]));
    const searchTechniques = weigh(join(out, 'data', 'search-techniques.js'), 'data/search-techniques.js');
    const listScript = readFileSync(join(out, 'data', 'search-techniques.js'), 'utf8');
    const list = JSON.parse(listScript.slice(listScript.indexOf('=') + 1).trim().replace(/;$/, '')) as SearchList;
    const worst = worstFirstQueries(list, searchTechniques.gzip, (f) => gzipOf.get(`data/search/${f}`) ?? 0);
    return {
      pages: pages.length,
      largest: weigh(join(techniques, largest.f), `techniques/${largest.f}`),
      median: weigh(join(techniques, median.f), `techniques/${median.f}`),
      largestElements: (largestHtml.match(/<[a-z]/g) ?? []).length,
      deferred: readdirSync(join(out, 'data', 'techniques')).length,
      searchTechniques, largestShard, largestWords, firstQuerySingle: worst.single, firstQueryMulti: worst.multi, searchFiles: shards.length + 1,
      searchTotalBytes: searchTechniques.bytes + shards.reduce((n, s) => n + s.bytes, 0),
    };
  } finally {
    kb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
