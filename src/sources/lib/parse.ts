/** Format parsers with the safety limits every connector shares. Each throws a readable Error. */
import { dump, loadAll } from 'js-yaml';
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
    if (v && typeof v === 'object') for (const c of Object.values(v)) stack.push([c, d + 1]);
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

/** "duplicate key `tags` at line 12", "Missing closing quote at line 3": what a parse error says, located, once. */
export function parseProblem(e: unknown): string {
  if (!(e instanceof ParseError)) return reason(e);
  const what = !e.key ? e.detail.replace(/^Invalid TOML document:\s*/, '') : e.key.startsWith('[') ? `table \`${e.key}\` defined twice` : `duplicate key \`${e.key}\``;
  return `${what}${e.line ? ` at line ${e.line}` : ''}`;
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

/** js-yaml's error: its reason, and where it stopped (`mark`, 0-based; a duplicate's mark is on the key). */
interface YamlException {
  name: 'YAMLException';
  message: string;
  reason?: string;
  mark?: { line: number; position: number };
}

const isYamlException = (e: unknown): e is YamlException => e instanceof Error && e.name === 'YAMLException';

/**
 * The library's error as a ParseError: `message` keeps the library's first line ("duplicated
 * mapping key (6:5)"), `line` is 1-based and `key` is the repeated key's text where the mark points.
 */
function yamlError(text: string, e: YamlException, prefix: string): ParseError {
  const first = e.message.split('\n')[0]!;
  const detail = e.reason ?? first;
  const mark = e.mark;
  if (!mark || mark.position < 0 || mark.position > text.length) return new ParseError(`${prefix}${first}`, detail);
  const key = detail === 'duplicated mapping key' ? /^\s*['"]?([^'":\n]{1,80})/.exec(text.slice(mark.position, mark.position + 100))?.[1]?.trim() : undefined;
  return new ParseError(`${prefix}${first}`, detail, mark.line + 1, key);
}

/**
 * js-yaml with the build's limits. Its nesting guard counts collections and stops at its limit;
 * set two above ours so that `checkDepth` decides at the boundary (a value's depth counts the
 * scalar below the innermost collection) and the guard only stops far deeper input from
 * recursing, with the same message. Its duplicate-key check is one lookup per key (linear: see
 * test/robustness/yaml-keys.test.ts). `prefix`: parseYamlDocuments says "YAML: " itself,
 * parseYaml's callers do.
 */
function loadYaml(text: string, limits: Limits, prefix: string): unknown[] {
  try {
    return loadAll(text, { maxDepth: limits.maxDepth + 2, maxAliases: limits.maxYamlAliases });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith('nesting exceeded maxDepth')) throw deeperThan(limits);
    if (isYamlException(e)) throw yamlError(text, e, prefix);
    throw new ParseError(`${prefix}${message}`, message.split('\n')[0]!);
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
  const docs = loadYaml(text, limits, 'YAML: ');
  return docs.filter((v) => v !== null && v !== undefined).map((v) => checked(v, limits));
}

/** A single-document YAML file; an empty one is null. Callers name the format in their warning. */
export function parseYaml(text: string, limits: Limits): unknown {
  const docs = loadYaml(text, limits, '');
  if (docs.length > 1) throw new Error('the file holds several YAML documents, one was expected');
  return checked(docs[0] ?? null, limits);
}

export function parseToml(text: string, limits: Limits): Record<string, unknown> {
  let value: Record<string, unknown>;
  try {
    value = parseTomlText(text);
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

/** A parsed value back as YAML text, for showing (a merged Sigma collection rule's detection); undefined when it cannot be. */
export function yamlText(value: unknown): string | undefined {
  try {
    return dump(value, { lineWidth: -1, noRefs: true });
  } catch {
    return undefined;
  }
}
