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
            const line = key.range ? lineOf(text, key.range[0]) : undefined;
            throw new Error(`${prefix}Map keys must be unique: ${JSON.stringify(String(key.value).slice(0, 80))} repeated${line ? ` at line ${line}` : ''}`);
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

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The library is told not to check keys itself (see checkUniqueKeys). */
const YAML_OPTIONS = { uniqueKeys: false, prettyErrors: false } as const;

/** `prefix`: parseYamlDocuments says "YAML: " itself, parseYaml's callers do (as with the library's own errors). */
function documentValue(doc: Document.Parsed, text: string, limits: Limits, prefix: string): unknown {
  if (doc.errors.length) {
    if (!prefix) throw doc.errors[0]!;
    throw new Error(`${prefix}${doc.errors[0]!.message.split('\n')[0]}`);
  }
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
  const value = parseTomlText(text) as Record<string, unknown>;
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
