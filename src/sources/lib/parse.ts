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
    if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: limits.maxYamlAliases });
    if (value === null || value === undefined) continue;
    checkDepth(value, limits);
    out.push(value);
  }
  return out;
}

/** A single-document YAML file. */
export function parseYaml(text: string, limits: Limits): unknown {
  const value = parseYamlOne(text, { uniqueKeys: true, maxAliasCount: limits.maxYamlAliases, prettyErrors: false });
  checkDepth(value, limits);
  return value;
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
