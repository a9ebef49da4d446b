/** Format parsers with the safety limits every connector shares. Each throws a readable Error. */
import { parseAllDocuments, parse as parseYamlOne } from 'yaml';
import { parse as parseTomlText } from 'smol-toml';
import type { Limits } from '../types.js';

/** Deepest nesting in a parsed value; guards renderers and walkers against hostile documents. */
export function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    if (v && typeof v === 'object') for (const c of Object.values(v as object)) stack.push([c, d + 1]);
  }
  return max;
}

/**
 * A parse failure with what the parser knows of where it is: `message` is as it always was (the
 * connectors' warnings), `line` and `key` let a reader say "duplicate key `tags` at line 12".
 */
export class ParseError extends Error {
  constructor(message: string, readonly detail: string, readonly line?: number, readonly key?: string) {
    super(message);
  }
}

const lineAt = (text: string, offset: number) => {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
};

/** The YAML library's error with its line, and the key for a duplicate (the error points at it). */
function yamlError(text: string, e: { message: string; code?: string; pos?: [number, number] }, prefix: string): ParseError {
  const detail = e.message.split('\n')[0]!;
  const at = e.pos?.[0];
  if (at === undefined || at < 0 || at > text.length) return new ParseError(`${prefix}${detail}`, detail);
  const line = lineAt(text, at);
  const key = e.code === 'DUPLICATE_KEY' ? /^\s*['"]?([^'":\n]{1,80})/.exec(text.slice(at, at + 100))?.[1]?.trim() : undefined;
  return new ParseError(`${prefix}${detail}`, detail, line, key);
}

/** "duplicate key `tags` at line 12", "Missing closing quote at line 3": what a parse error says, located, once. */
export function parseProblem(e: unknown): string {
  if (!(e instanceof ParseError)) return reason(e);
  const what = !e.key ? e.detail.replace(/^Invalid TOML document:\s*/, '') : e.key.startsWith('[') ? `table \`${e.key}\` defined twice` : `duplicate key \`${e.key}\``;
  return `${what}${e.line ? ` at line ${e.line}` : ''}`;
}

function checkDepth(value: unknown, limits: Limits): void {
  if (depthOf(value, limits.maxDepth) > limits.maxDepth) throw new Error(`nested deeper than ${limits.maxDepth} levels`);
}

/**
 * All YAML documents of a file (Sigma rule collections hold several). Duplicate keys, syntax
 * errors and alias bombs throw; an empty document is dropped.
 */
export function parseYamlDocuments(text: string, limits: Limits): unknown[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    if (doc.errors.length) throw yamlError(text, doc.errors[0]!, 'YAML: ');
    const value = doc.toJS({ maxAliasCount: limits.maxYamlAliases });
    if (value === null || value === undefined) continue;
    checkDepth(value, limits);
    out.push(value);
  }
  return out;
}

/** A single-document YAML file. */
export function parseYaml(text: string, limits: Limits): unknown {
  let value: unknown;
  try {
    value = parseYamlOne(text, { uniqueKeys: true, maxAliasCount: limits.maxYamlAliases, prettyErrors: false });
  } catch (e) {
    if (e instanceof Error && 'pos' in e) throw yamlError(text, e as Error & { pos: [number, number] }, '');
    throw e;
  }
  checkDepth(value, limits);
  return value;
}

export function parseToml(text: string, limits: Limits): Record<string, unknown> {
  let value: Record<string, unknown>;
  try {
    value = parseTomlText(text) as Record<string, unknown>;
  } catch (e) {
    const line = (e as { line?: unknown }).line;
    if (!(e instanceof Error) || typeof line !== 'number') throw e;
    // smol-toml points at the line; on a redefinition, that line's key or table header is the culprit.
    const source = text.split('\n')[line - 1] ?? '';
    const key = /redefine/.test(e.message) ? /^\s*(\[{1,2}[^\]]{1,80}\]{1,2}|[\w.\-"' ]{1,80}?)\s*(?:=|$)/.exec(source)?.[1]?.trim() : undefined;
    throw new ParseError(e.message, e.message.split('\n')[0]!, line, key);
  }
  checkDepth(value, limits);
  return value;
}

export function parseJson(text: string, limits: Limits): unknown {
  const value: unknown = JSON.parse(text);
  checkDepth(value, limits);
  return value;
}

/** First line of an error message, for warnings. */
export function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}
