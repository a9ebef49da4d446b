/** Format parsers with the safety limits every connector shares. Each throws a readable Error. */
import { loadAll } from 'js-yaml';
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

function deeperThan(limits: Limits): Error {
  return new Error(`nested deeper than ${limits.maxDepth} levels`);
}

function checkDepth(value: unknown, limits: Limits): void {
  if (depthOf(value, limits.maxDepth) > limits.maxDepth) throw deeperThan(limits);
}

/**
 * An alias is one shared object in the parsed value, but whoever walks the value (the depth
 * check, JSON.stringify, a renderer) visits it once per use: ten levels of ten aliases are 10^10
 * visits from a few hundred bytes. So the value as walked, counted once per use over the shared
 * objects (linear time), may be at most `maxYamlAliases` times the value as written; an alias
 * inside its own anchor (a cycle) is refused outright.
 */
function checkAliasExpansion(value: unknown, limits: Limits): void {
  if (!value || typeof value !== 'object') return;
  const walked = new Map<object, number>();
  const open = new Set<object>();
  let written = 0;
  // Iterative post-order: aliases can nest a value deeper than the parser's own depth guard sees.
  const stack: { node: object; children: unknown[]; i: number; size: number }[] = [];
  const enter = (node: object) => {
    open.add(node);
    const children = Object.values(node);
    written += 1 + children.filter((c) => !c || typeof c !== 'object').length;
    stack.push({ node, children, i: 0, size: 1 });
  };
  enter(value);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i < top.children.length) {
      const c = top.children[top.i++];
      if (!c || typeof c !== 'object') top.size += 1;
      else if (open.has(c)) throw new Error('an alias refers to a node that contains it');
      else if (walked.has(c)) top.size += walked.get(c)!;
      else enter(c);
      continue;
    }
    stack.pop();
    open.delete(top.node);
    walked.set(top.node, top.size);
    const parent = stack[stack.length - 1];
    if (parent) parent.size += top.size;
    else if (top.size > written * limits.maxYamlAliases) {
      throw new Error(`aliases expand the document more than ${limits.maxYamlAliases}-fold`);
    }
  }
}

class YamlSyntaxError extends Error {}

/**
 * js-yaml with the build's limits. Its nesting guard counts collections and stops at its limit;
 * set two above ours so that `checkDepth` decides at the boundary (a value's depth counts the
 * scalar below the innermost collection) and the guard only stops far deeper input from
 * recursing, with the same message.
 */
function loadYaml(text: string, limits: Limits): unknown[] {
  try {
    return loadAll(text, { maxDepth: limits.maxDepth + 2, maxAliases: limits.maxYamlAliases });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith('nesting exceeded maxDepth')) throw deeperThan(limits);
    throw new YamlSyntaxError(message);
  }
}

function checked(value: unknown, limits: Limits): unknown {
  checkAliasExpansion(value, limits);
  checkDepth(value, limits);
  return value;
}

/**
 * All YAML documents of a file (Sigma rule collections hold several). Duplicate keys, syntax
 * errors, unknown tags and alias bombs throw (syntax errors as `YAML: …`); an empty document is
 * dropped.
 */
export function parseYamlDocuments(text: string, limits: Limits): unknown[] {
  let docs: unknown[];
  try {
    docs = loadYaml(text, limits);
  } catch (e) {
    throw e instanceof YamlSyntaxError ? new Error(`YAML: ${e.message}`) : e;
  }
  return docs.filter((v) => v !== null && v !== undefined).map((v) => checked(v, limits));
}

/** A single-document YAML file; an empty one is null. Callers name the format in their warning. */
export function parseYaml(text: string, limits: Limits): unknown {
  const docs = loadYaml(text, limits);
  if (docs.length > 1) throw new Error('the file holds several YAML documents, one was expected');
  return checked(docs[0] ?? null, limits);
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
