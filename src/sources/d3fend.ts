/**
 * MITRE D3FEND: defensive techniques mapped to the ATT&CK techniques they counter. D3FEND ships
 * the mapping only as an ontology (Turtle); the pairs are inferred by d3fend-inference.ts.
 * This module reads the Turtle leniently and turns the inference into resource records.
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Parser, type Quad } from 'n3';
import { readText } from './lib/files.js';
import { oneLine } from './lib/links.js';
import { reason as errorReason } from './lib/parse.js';
import type { LoadContext, ResourceRecord, Source, TechniqueRef } from './types.js';
import { chainText, inferD3fend, type D3fendInference, type D3fendPair, type DefensiveTechnique } from './d3fend-inference.js';

export { inferD3fend } from './d3fend-inference.js';

/** Where the ontology sits in the data folder (sync strips `src/ontology/`), newest layout first. */
const ONTOLOGY_FILES = ['d3fend-protege.ttl', 'src/ontology/d3fend-protege.ttl'];

/** A file whose every block is broken must not flood the build log. */
const MAX_PROBLEMS_PER_FILE = 50;
/** Blocks tried together when a long string holding blank lines was cut into several. */
const MAX_MERGED_BLOCKS = 64;
/** Text re-parsed while merging, in multiples of the file size: a hostile file must not stall the build. */
const MERGE_BUDGET_FACTOR = 8;
/** Malformed IRIs percent-encoded in one block before it is given up. */
const MAX_IRI_REPAIRS_PER_BLOCK = 20;

export type TurtleProblem = (line: number, reason: string) => void;

/**
 * All triples of a Turtle document. n3 aborts on the first error (a malformed IRI is enough), so
 * on failure the text is re-read statement block by statement block: malformed IRIs are
 * percent-encoded, other broken blocks are dropped, and each problem is reported with its line.
 * The fast path (a clean file) is a single n3 parse.
 */
export function parseTurtleLenient(text: string, onProblem: TurtleProblem): Quad[] {
  try {
    return new Parser({ format: 'text/turtle' }).parse(text);
  } catch {
    return parseByBlocks(text, cappedReporter(onProblem));
  }
}

function cappedReporter(onProblem: TurtleProblem): TurtleProblem {
  let count = 0;
  return (line, why) => {
    count++;
    if (count <= MAX_PROBLEMS_PER_FILE) onProblem(line, why);
    else if (count === MAX_PROBLEMS_PER_FILE + 1) onProblem(line, `more than ${MAX_PROBLEMS_PER_FILE} problems; the rest are not reported`);
  };
}

interface Block {
  /** 0-based first line. */
  start: number;
  /** 0-based line after the last. */
  end: number;
}

/** Statement blocks as Turtle writers lay them out: a line starting in column 1 after a blank line. */
function splitBlocks(lines: string[], from: number, to: number, afterBlankOnly: boolean): Block[] {
  const starts = [from];
  for (let i = from + 1; i < to; i++) {
    if ((!afterBlankOnly || lines[i - 1]!.trim() === '') && /^[^\s#]/.test(lines[i]!)) starts.push(i);
  }
  return starts.map((start, i) => ({ start, end: starts[i + 1] ?? to }));
}

interface Attempt {
  quads?: Quad[];
  error?: { line: number; message: string; token: string };
}

/** Labelled blank nodes must stay the same node across separately parsed blocks. */
const RECOVERY_BLANK_PREFIX = 'recovered';

function tryParse(header: string, body: string): Attempt {
  try {
    return { quads: new Parser({ format: 'text/turtle', blankNodePrefix: RECOVERY_BLANK_PREFIX }).parse(header + body) };
  } catch (e) {
    const message = errorReason(e);
    const context = (e as { context?: { line?: unknown } }).context;
    const headerLines = header.split('\n').length - 1;
    const line = (typeof context?.line === 'number' ? context.line : 1) - headerLines;
    const token = /^Unexpected "(.*)" on line \d+/.exec(message)?.[1] ?? '';
    return { error: { line, message: message.replace(/ on line \d+\.?/, ''), token } };
  }
}

const DIRECTIVE = /^\s*(@prefix|@base|prefix|base)\s/i;

/** The delimiter of a long string left open (the block was cut at a blank line inside it), if any. */
function openLongString(attempt: Attempt): string | undefined {
  const quote = attempt.error?.token.slice(0, 3);
  return quote === '"""' || quote === "'''" ? quote : undefined;
}

class BlockParser {
  readonly quads: Quad[] = [];
  /** Directives read so far, replayed before each block so its prefixed names still resolve. */
  private header = '';
  private mergeBudget: number;

  constructor(
    private readonly lines: string[],
    private readonly onProblem: TurtleProblem,
    textLength: number,
  ) {
    this.mergeBudget = MERGE_BUDGET_FACTOR * textLength;
  }

  private body(from: number, to: number): string {
    return this.lines.slice(from, to).join('\n');
  }

  private accept(from: number, to: number, got: Quad[]): void {
    for (const q of got) this.quads.push(q);
    for (const line of this.lines.slice(from, to)) if (DIRECTIVE.test(line)) this.header += `${line}\n`;
  }

  /**
   * Blank-line blocks first; a block that still fails is retried statement by statement
   * (lines starting in column 1), so one bad statement costs only itself.
   */
  parse(blocks: Block[], fine: boolean): void {
    for (let i = 0; i < blocks.length; ) {
      const block = blocks[i]!;
      const body = this.body(block.start, block.end);
      const alone = tryParse(this.header, body);
      const got = alone.quads ?? repairIris(this.header, body, block.start, alone, this.onProblem);
      if (got) {
        this.accept(block.start, block.end, got);
        i++;
        continue;
      }
      const quote = openLongString(alone);
      const span = quote ? this.mergeWithFollowing(blocks, i, quote) : 0;
      if (span) {
        i += span;
        continue;
      }
      const statements = fine ? [] : splitBlocks(this.lines, block.start, block.end, false);
      if (statements.length > 1) this.parse(statements, true);
      else this.onProblem(block.start + alone.error!.line, `${alone.error!.message}: statement dropped`);
      i++;
    }
  }

  /** How many blocks, from `i`, parse together (0 if none within the limit). */
  private mergeWithFollowing(blocks: Block[], i: number, quote: string): number {
    const from = blocks[i]!.start;
    let delimiters = countOf(this.body(from, blocks[i]!.end), quote);
    for (let span = 2; span <= MAX_MERGED_BLOCKS && i + span <= blocks.length; span++) {
      const last = blocks[i + span - 1]!;
      delimiters += countOf(this.body(last.start, last.end), quote);
      // While a long-string delimiter is unpaired the string is surely still open: no parse needed.
      if (delimiters % 2 === 1) continue;
      const body = this.body(from, last.end);
      this.mergeBudget -= body.length;
      if (this.mergeBudget < 0) return 0;
      const attempt = tryParse(this.header, body);
      if (attempt.quads) {
        this.accept(from, last.end, attempt.quads);
        return span;
      }
    }
    return 0;
  }
}

function countOf(text: string, quote: string): number {
  return text.split(quote).length - 1;
}

function parseByBlocks(text: string, onProblem: TurtleProblem): Quad[] {
  const lines = text.split('\n');
  const parser = new BlockParser(lines, onProblem, text.length);
  parser.parse(splitBlocks(lines, 0, lines.length, true), false);
  return parser.quads;
}

/**
 * Percent-encode the characters an IRI may not hold (`<a b>` → `<a%20b>`), one reported IRI at a
 * time, until the block parses. Only errors n3 reports on an IRI token qualify, so string
 * literals that merely look like IRIs are never touched.
 */
function repairIris(header: string, body: string, firstLine: number, failed: Attempt, onProblem: TurtleProblem): Quad[] | undefined {
  let current = body;
  let attempt = failed;
  const fixes: [number, string][] = [];
  for (let n = 0; n < MAX_IRI_REPAIRS_PER_BLOCK && attempt.error; n++) {
    const { line, token } = attempt.error;
    if (!token.startsWith('<')) return undefined;
    const lines = current.split('\n');
    const text = lines[line - 1];
    const at = text?.indexOf(token) ?? -1;
    const close = at >= 0 ? text!.indexOf('>', at + 1) : -1;
    if (close < 0) return undefined;
    const iri = text!.slice(at + 1, close);
    lines[line - 1] = `${text!.slice(0, at)}<${percentEncodeIllegal(iri)}>${text!.slice(close + 1)}`;
    current = lines.join('\n');
    fixes.push([firstLine + line, iri]);
    attempt = tryParse(header, current);
  }
  if (!attempt.quads) return undefined;
  for (const [line, iri] of fixes) onProblem(line, `malformed IRI <${oneLine(iri, 120)}>: illegal characters percent-encoded`);
  return attempt.quads;
}

const ILLEGAL_IN_IRI = new Set('<>"{}|^`\\');

function percentEncodeIllegal(iri: string): string {
  let out = '';
  for (const c of iri) {
    const code = c.charCodeAt(0);
    out += code <= 0x20 || ILLEGAL_IN_IRI.has(c) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : c;
  }
  return out;
}

/** Parse and infer in one go, for benchmarks and tools: problems go to `onProblem`. */
export function inferD3fendFromTurtle(text: string, onProblem: TurtleProblem = () => {}): D3fendInference {
  return inferD3fend(parseTurtleLenient(text, onProblem));
}

const TECHNIQUE_PAGE = 'https://d3fend.mitre.org/technique/d3f:';

function ontologyFile(ctx: LoadContext): string | undefined {
  for (const name of ONTOLOGY_FILES) {
    const full = join(ctx.dir, name);
    if (existsSync(full)) return relative(ctx.dataDir, full).split(sep).join('/');
  }
  return undefined;
}

function techniqueRefs(pairs: D3fendPair[]): TechniqueRef[] {
  return pairs.map((p) => ({ id: p.attackId, relation: 'counters', note: chainText(p.chain) }));
}

function* loadD3fend(ctx: LoadContext): Iterable<ResourceRecord> {
  const file = ontologyFile(ctx);
  if (!file) {
    ctx.warn(relative(ctx.dataDir, ctx.dir).split(sep).join('/') || '.', `no ${ONTOLOGY_FILES[0]} found`);
    return;
  }
  const text = readText(ctx, file);
  if (text === undefined) return;
  const { pairs, defensive } = inferD3fend(parseTurtleLenient(text, (line, why) => ctx.warn(file, `line ${line}: ${why}`)));
  if (defensive.length === 0) ctx.warn(file, 'no D3FEND defensive technique found (d3f:d3fend-id under d3f:DefensiveTechnique)');
  else if (pairs.length === 0) ctx.warn(file, 'no ATT&CK technique inferred (no d3f:may-be-associated-with relations shared with d3f:attack-id classes)');
  const byDefensive = new Map<string, D3fendPair[]>();
  for (const p of pairs) {
    const list = byDefensive.get(p.defensiveIri);
    if (list) list.push(p);
    else byDefensive.set(p.defensiveIri, [p]);
  }
  const keys = new Set<string>();
  for (const d of defensive) {
    const mapped = byDefensive.get(d.iri);
    if (!mapped) continue;
    let key = d.localName;
    if (keys.has(key)) {
      ctx.warn(file, `two defensive techniques named ${key}: the second is keyed by its IRI ${d.iri}`);
      key = d.iri;
    }
    keys.add(key);
    yield record(ctx, file, key, d, mapped);
  }
}

function record(ctx: LoadContext, file: string, key: string, d: DefensiveTechnique, mapped: D3fendPair[]): ResourceRecord {
  const definition = oneLine(d.definition);
  return {
    key,
    upstreamId: d.d3fendId,
    title: oneLine(d.label, 200) || d.localName,
    url: `${TECHNIQUE_PAGE}${encodeURIComponent(d.localName)}`,
    ...(definition ? { description: definition } : {}),
    deprecated: d.deprecated,
    file,
    meta: {
      d3fendId: d.d3fendId,
      ...(d.tactic ? { tactic: d.tactic } : {}),
      ...(definition ? { definition } : {}),
      artifacts: d.artifacts,
    },
    techniques: techniqueRefs(mapped),
  };
}

export const d3fendSource: Source = {
  name: 'd3fend',
  title: 'MITRE D3FEND',
  pillar: 'policy',
  order: 10,
  homepage: 'https://d3fend.mitre.org/',
  folder: 'd3fend',
  upstream: { repo: 'd3fend/d3fend-ontology', defaultRef: 'develop', paths: ['src/ontology/d3fend-protege.ttl'] },
  license: 'MIT',
  resourceKind: 'D3FEND defensive technique (one ontology class)',
  mapsVia:
    'inferred like the D3FEND site: an ATT&CK technique’s artifact (its own, its parent’s or sub-techniques’) is a subclass of a digital artifact the defensive technique relates to',
  techniquePage: 'https://d3fend.mitre.org/offensive-technique/attack/{id}/',
  summaryFields: [],
  load: loadD3fend,
};
