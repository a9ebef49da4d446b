/**
 * What a reader downloads: the static site is written once, then the technique pages (largest,
 * median, element count of the heaviest) and the search index (the technique list, then per
 * first character a resource file and a word file: the most a one-word first query loads) are
 * weighed raw, gzip'ed and brotli'ed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { KnowledgeBase } from '../kb/open.js';
import { writeSite } from '../site/generate.js';

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
  /** Each further query word with another first character adds at most this file. */
  largestWords: Weight;
  /** The most a first query loads: the technique list, and the resource and word files of one character, gzip'ed. */
  firstQueryGzip: number;
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
    const isWords = (w: Weight) => w.file.startsWith('data/search/words-');
    const largestShard = byGzip(shards.filter((w) => !isWords(w)))[0]!;
    const largestWords = byGzip(shards.filter(isWords))[0]!;
    const gzipOf = new Map(shards.map((w) => [w.file, w.gzip]));
    const keys = shards.map((w) => w.file.replace(/^data\/search\/(words-)?/, '').replace(/\.js$/, ''));
    const firstPieces = Math.max(...keys.map((k) => (gzipOf.get(`data/search/${k}.js`) ?? 0) + (gzipOf.get(`data/search/words-${k}.js`) ?? 0)));
    const searchTechniques = weigh(join(out, 'data', 'search-techniques.js'), 'data/search-techniques.js');
    return {
      pages: pages.length,
      largest: weigh(join(techniques, largest.f), `techniques/${largest.f}`),
      median: weigh(join(techniques, median.f), `techniques/${median.f}`),
      largestElements: (largestHtml.match(/<[a-z]/g) ?? []).length,
      deferred: readdirSync(join(out, 'data', 'techniques')).length,
      searchTechniques, largestShard, largestWords,
      firstQueryGzip: searchTechniques.gzip + firstPieces,
      searchTotalBytes: searchTechniques.bytes + shards.reduce((n, s) => n + s.bytes, 0),
    };
  } finally {
    kb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
