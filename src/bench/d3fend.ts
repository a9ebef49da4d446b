/**
 * D3FEND alone: parse the ontology and infer every (ATT&CK technique, defensive technique) pair,
 * as the connector does, against a plain n3 parse of the same text as the baseline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'n3';
import { inferD3fendFromTurtle } from '../sources/d3fend.js';

export interface D3fendResult {
  file: string;
  bytes: number;
  /** Parse + inference, the first thing this process does (no warm-up). */
  inferMs: number;
  /** n3 parse alone, measured after (so it runs warmer: the ratio errs on the high side). */
  parseMs: number;
  quads: number;
  pairs: number;
  defensive: number;
  problems: number;
}

export function measureD3fend(dataDir: string): D3fendResult {
  const file = join(dataDir, 'd3fend', 'd3fend-protege.ttl');
  const text = readFileSync(file, 'utf8');
  let problems = 0;
  const t0 = performance.now();
  const inference = inferD3fendFromTurtle(text, () => { problems++; });
  const inferMs = performance.now() - t0;
  const t1 = performance.now();
  const quads = new Parser({ format: 'text/turtle' }).parse(text).length;
  const parseMs = performance.now() - t1;
  return {
    file, bytes: Buffer.byteLength(text), inferMs, parseMs, quads, pairs: inference.pairs.length,
    defensive: inference.defensive.length, problems,
  };
}
