/**
 * Where in a parsed file a connector reads: its `toRecords` runs on the real document wrapped in
 * proxies that note every mapping whose keys it looks at. The wrong-type damage then replaces
 * each key of those mappings, so a kit connector's profile needs no hand-written field paths and
 * a field the connector starts to read is damaged from then on.
 */
import type { Path } from './damage.js';

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** A list element stands for its list: the first that holds an ATT&CK id (where the mapping is), else the first read. */
const ATTACK_ID = /\b(?:T(?!0000)|TA|M|DS|S|G|C)\d{4}\b/;

function holdsId(v: unknown): boolean {
  try {
    return ATTACK_ID.test(JSON.stringify(v) ?? '');
  } catch {
    return false;
  }
}

/**
 * The paths of the mappings `read` looks into (a key read, or its keys listed), in the order first
 * read. Of a list's elements, one is kept: the first read that holds an ATT&CK id, else the first
 * read. A mapping whose keys are listed before any is read by name is a dictionary (Stratus's
 * platforms, SCYTHE's script steps): its values are kept like a list's elements.
 */
export function readPaths(doc: unknown, read: (doc: unknown) => void): Path[] {
  const seen = new Map<string, Path>();
  /** Per list (by path), the element chosen to stand for it. */
  const chosen = new Map<string, string | number>();
  /** Proxies by object, one map for each `counted`: a list element may be read before and after it is chosen. */
  const wrapped = { true: new WeakMap<object, unknown>(), false: new WeakMap<object, unknown>() };

  const note = (path: Path) => {
    // A value taken before another element was chosen for its list (Object.entries takes them all first) is not noted.
    for (let i = 0; i < path.length; i++) {
      const pick = chosen.get(JSON.stringify(path.slice(0, i)));
      if (pick !== undefined && pick !== path[i]) return;
    }
    const key = JSON.stringify(path);
    if (!seen.has(key)) seen.set(key, path);
  };
  /** How each mapping was first looked at: its keys listed (a dictionary) or a key read by name. */
  const firstLook = new Map<string, 'keys' | 'name'>();
  const look = (path: Path, how: 'keys' | 'name') => {
    const key = JSON.stringify(path);
    if (!firstLook.has(key)) firstLook.set(key, how);
    return firstLook.get(key);
  };
  /** Whether the element `index` of the list (or dictionary) at `listPath` is the one that stands for it. */
  const standsForList = (container: readonly unknown[] | Record<string, unknown>, listPath: Path, index: string | number): boolean => {
    const list = container as Readonly<Record<string | number, unknown>>;
    const key = JSON.stringify(listPath);
    const current = chosen.get(key);
    if (current === undefined || (!holdsId(list[current]) && holdsId(list[index]))) {
      if (current !== undefined) {
        // A better element came: forget what was noted under the first one.
        const prefix = JSON.stringify([...listPath, current]).slice(0, -1);
        for (const k of [...seen.keys()]) if (k.startsWith(prefix) && (k[prefix.length] === ',' || k[prefix.length] === ']')) seen.delete(k);
      }
      chosen.set(key, index);
      return true;
    }
    return current === index;
  };

  const wrap = (value: unknown, path: Path, counted: boolean): unknown => {
    if (typeof value !== 'object' || value === null || value instanceof Date) return value;
    const cache = wrapped[counted ? 'true' : 'false'];
    const known = cache.get(value);
    if (known) return known;
    const proxy = new Proxy(value, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof prop !== 'string') return v;
        if (Array.isArray(target)) {
          const i = Number(prop);
          if (!Number.isInteger(i) || String(i) !== prop) return v;
          return wrap(v, [...path, i], counted && standsForList(target, path, i));
        }
        if (!isMapping(target)) return v;
        if (look(path, 'name') === 'keys' && Object.hasOwn(target, prop)) {
          if (counted) note(path);
          return wrap(v, [...path, prop], counted && standsForList(target, path, prop));
        }
        if (counted) note(path);
        return wrap(v, [...path, prop], counted);
      },
      ownKeys(target) {
        if (isMapping(target)) look(path, 'keys');
        if (counted && isMapping(target)) note(path);
        return Reflect.ownKeys(target);
      },
      has(target, prop) {
        if (counted && isMapping(target) && typeof prop === 'string') note(path);
        return Reflect.has(target, prop);
      },
    });
    cache.set(value, proxy);
    return proxy;
  };

  read(wrap(doc, [], true));
  return [...seen.values()];
}
