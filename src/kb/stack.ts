/**
 * The control stack: the sources a team owns or trusts (`--stack sigma,elastic,atomic-red-team`,
 * or a named stack from the `"stacks"` part of purplebook.config.json). Pages, volumes, validation
 * classes, priorities, gaps, layers, plans and line-ups are then computed from those sources only.
 */
import { readConfigFile } from '../core/config-file.js';
import { sourceCatalog } from './catalog.js';
import type { KnowledgeBase } from './open.js';
import { InputError } from '../core/errors.js';

export interface Stack {
  /** The config's name for it (`ours`), or null for a list given inline. */
  name: string | null;
  /** Source names, in catalog order (policy, detection, test), without repeats. */
  sources: readonly string[];
}

export class StackError extends InputError {}

/** Named stacks: `{"stacks": {"ours": ["sigma", "atomic-red-team"]}}`. */
export type NamedStacks = Record<string, string[]>;

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_STACKS = 100;
const MAX_STACK_SOURCES = 200;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `stacks` part of a settings object, validated for shape (source names are checked when a stack is used). */
export function parseStacks(raw: unknown, file = 'config'): NamedStacks {
  if (!isObject(raw)) throw new StackError(`${file}: must be a JSON object`);
  if (raw.stacks === undefined) return {};
  if (!isObject(raw.stacks)) throw new StackError(`${file}: "stacks" must be an object of stack name → list of source names`);
  const entries = Object.entries(raw.stacks);
  if (entries.length > MAX_STACKS) throw new StackError(`${file}: more than ${MAX_STACKS} stacks`);
  const out: NamedStacks = {};
  for (const [name, list] of entries) {
    if (!NAME.test(name)) throw new StackError(`${file}: stack name "${name.slice(0, 64)}" must be lower-case letters, digits, - or _`);
    if (!Array.isArray(list) || !list.length || list.length > MAX_STACK_SOURCES || !list.every((x) => typeof x === 'string' && x.trim())) {
      throw new StackError(`${file}: "stacks.${name}" must be a list of 1 to ${MAX_STACK_SOURCES} source names`);
    }
    out[name] = list.map((x: string) => x.trim().toLowerCase());
  }
  return out;
}

/**
 * Named stacks from the settings file `sync` and `build` read: $PURPLEBOOK_CONFIG, else
 * ./purplebook.config.json when it exists; none otherwise.
 */
export function loadStacks(cwd = process.cwd()): { stacks: NamedStacks; file?: string } {
  const read = readConfigFile(undefined, cwd, (message) => new StackError(message));
  return read ? { stacks: parseStacks(read.raw, read.file), file: read.file } : { stacks: {} };
}

/** Source names a stack may hold: every source Purplebook can load, and any the knowledge base holds. */
export function stackableSources(kb: KnowledgeBase): string[] {
  return sourceCatalog(kb).filter((e) => e.state !== 'unavailable').map((e) => e.name);
}

/**
 * `sigma,atomic-red-team`, `ours`, or both mixed (`ours,splunk`): a named stack stands for its
 * sources. Unknown names are an error that lists the valid ones; an empty stack is an error too.
 */
export function resolveStack(spec: string | readonly string[], valid: readonly string[], named: NamedStacks = {}): Stack {
  const parts = (typeof spec === 'string' ? [spec] : spec).flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (!parts.length) throw new StackError(`the stack is empty: name sources (valid: ${valid.join(', ')})`);
  const known = new Set(valid);
  const chosen = new Set<string>();
  for (const part of parts) {
    const stack = Object.hasOwn(named, part) ? named[part] : undefined;
    for (const name of stack ?? [part]) {
      if (!known.has(name)) {
        const where = stack ? ` (in the stack "${part}")` : '';
        const stacks = Object.keys(named);
        throw new StackError(`unknown source "${name.slice(0, 60)}"${where}; valid sources: ${valid.join(', ')}`
          + (stacks.length ? `; named stacks: ${stacks.join(', ')}` : ''));
      }
      chosen.add(name);
    }
  }
  const name = parts.length === 1 && Object.hasOwn(named, parts[0]!) ? parts[0]! : null;
  return { name, sources: valid.filter((s) => chosen.has(s)) };
}

/** True when the source counts: no stack means every source. */
export function inStack(stack: Stack | undefined, source: string): boolean {
  return !stack || stack.sources.includes(source);
}

/** How a stack is named in headers: `ours (sigma, atomic-red-team)` or the list. */
export function stackLabel(stack: Stack): string {
  return stack.name ? `${stack.name} (${stack.sources.join(', ')})` : stack.sources.join(', ');
}
