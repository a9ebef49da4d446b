/** Format parsers with the safety limits every connector shares. Each throws a readable Error. */
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, parseDocument, type Document } from 'yaml';
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
 * Refuses a mapping that repeats a key (scalar keys compared by value, as the YAML library's own
 * `uniqueKeys` does). The library's check compares every key with every earlier one: a 1 MB
 * mapping of distinct keys took two minutes. One Set per mapping makes it linear.
 */
function checkUniqueKeys(doc: Document.Parsed, text: string, prefix: string): void {
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        // NaN never equals itself, so the library lets `.nan` repeat; a Set would not.
        if (isScalar(key) && !Number.isNaN(key.value)) {
          if (seen.has(key.value)) {
            const line = key.range ? lineAt(text, key.range[0]) : undefined;
            const name = String(key.value).slice(0, 80);
            const detail = `Map keys must be unique: ${JSON.stringify(name)} repeated${line ? ` at line ${line}` : ''}`;
            throw new ParseError(`${prefix}${detail}`, detail, line, name);
          }
          seen.add(key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
}

/** The library is told not to check keys itself (see checkUniqueKeys). */
const YAML_OPTIONS = { uniqueKeys: false, prettyErrors: false } as const;

/** `prefix`: parseYamlDocuments says "YAML: " itself, parseYaml's callers do (as with the library's own errors). */
function documentValue(doc: Document.Parsed, text: string, limits: Limits, prefix: string): unknown {
  if (doc.errors.length) throw yamlError(text, doc.errors[0]!, prefix);
  checkUniqueKeys(doc, text, prefix);
  const value = doc.toJS({ maxAliasCount: limits.maxYamlAliases });
  if (value !== null && value !== undefined) checkDepth(value, limits);
  return value;
}

/**
 * All YAML documents of a file (Sigma rule collections hold several). Duplicate keys, syntax
 * errors and alias bombs throw; an empty document is dropped.
 */
export function parseYamlDocuments(text: string, limits: Limits): unknown[] {
  const docs = parseAllDocuments(text, YAML_OPTIONS);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const value = documentValue(doc, text, limits, 'YAML: ');
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** A single-document YAML file. */
export function parseYaml(text: string, limits: Limits): unknown {
  return documentValue(parseDocument(text, YAML_OPTIONS), text, limits, '');
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
